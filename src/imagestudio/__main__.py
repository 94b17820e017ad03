from imagestudio.cli import main

main()

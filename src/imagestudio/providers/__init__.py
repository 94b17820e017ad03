"""Image providers: the contract, the error tree and the registry of implementations."""

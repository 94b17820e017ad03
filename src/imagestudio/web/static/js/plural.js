// Counted nouns through Intl.PluralRules: "1 template", "3 templates", "1 image matches".

const rules = new Intl.PluralRules("en");

/** "1 image" / "3 images"; `other` defaults to one + "s". */
export function plural(n, one, other = `${one}s`) {
  return `${n} ${rules.select(n) === "one" ? one : other}`;
}

/** The form of a word (or verb) that agrees with `n`: pick(1, "matches", "match"). */
export function pick(n, one, other) {
  return rules.select(n) === "one" ? one : other;
}

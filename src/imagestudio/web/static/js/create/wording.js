// The studio's warnings in a marketer's words: each rule turns one server warning (a
// developer's sentence with ids) into plain language; ids become the models' names.

export const NO_KEYS = /^no provider for the (\w+) tier is configured/;

const RULES = [
  [NO_KEYS, (m) => `No AI provider is set up for ${m[1]} quality yet, so the free offline draft renderer makes a draft (not an AI image).`],
  [/^aspect_ratio (\S+) overrides template \S+ \((\S+)\)/,
    (m) => `The ${m[1]} shape replaces the template's ${m[2]} shape, so its safe zone for text is not used.`],
  [/^(\S+) cannot generate .+: it generates (.+) and (\d+)% is cropped away/,
    (m, name) => `${name(m[1])} makes ${m[2]}; ${m[3]}% is trimmed off to fit your size.`],
  [/^(\S+) generates at most (\S+); the image is upscaled ×(\S+)/,
    (m, name) => `${name(m[1])} makes at most ${m[2]}; the image is enlarged ×${m[3]} to fit.`],
  [/^negative_prompt is not supported by (\S+)/, (m, name) => `${name(m[1])} ignores the negative prompt.`],
  [/^seed is not supported by (\S+)/, (m, name) => `${name(m[1])} takes no seed, so results cannot be repeated exactly.`],
  [/^(\S+) treats seed 0 as random/, (m, name) => `${name(m[1])} treats seed 0 as random; use 1 or more to repeat an image.`],
  [/^(steps|guidance_scale) is not supported by (\S+)/,
    (m, name) => `${name(m[2])} ignores the ${m[1] === "steps" ? "steps" : "guidance"} setting.`],
  [/^(steps|guidance_scale) (\S+) is outside (\S+) for (\S+); sent (\S+)/,
    (m, name) => `${name(m[4])} takes ${m[1] === "steps" ? "steps" : "guidance"} ${m[3]}, so ${m[5]} was used instead of ${m[2]}.`],
  [/^style_preset \S+ was not applied: (\S+)/,
    (m, name) => `${name(m[1])} has no style setting and prompt enhancement is off, so the style is not used.`],
  [/^(\S+) filtered this image for content/,
    (m, name) => `${name(m[1])}'s safety filter blurred this image (vendors charge for filtered images).`],
  [/^served by fallback model (\S+)/,
    (m, name) => `Made by ${name(m[1])} because the first choice was unavailable.`],
];

/** `text` in plain words; `name(id)` gives a model's display name. Unknown text is kept. */
export function humanWarning(text, name) {
  for (const [pattern, render] of RULES) {
    const match = pattern.exec(text);
    if (match) return render(match, name);
  }
  return text;
}

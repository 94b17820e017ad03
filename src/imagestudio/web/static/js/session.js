// The signed-in key lives in sessionStorage: it is gone when the browser tab is closed.

const KEY = "imagestudio.key";
const MODE = "imagestudio.mode";

export const session = {
  key: null,
  mode: null, // "key" | "local"
  user: null, // {name, plan} from /ui/session
  catalog: null, // platforms, styles, quality_tiers from /ui/session
  config: null, // /ui/config

  restore() {
    this.key = sessionStorage.getItem(KEY);
    this.mode = sessionStorage.getItem(MODE);
    return Boolean(this.key);
  },

  save(key, mode) {
    this.key = key;
    this.mode = mode;
    sessionStorage.setItem(KEY, key);
    sessionStorage.setItem(MODE, mode);
  },

  clear() {
    this.key = null;
    this.mode = null;
    this.user = null;
    this.catalog = null;
    sessionStorage.removeItem(KEY);
    sessionStorage.removeItem(MODE);
  },

  providerNames: new Map(), // provider id → display name, from GET /providers

  providerName(id) {
    return this.providerNames.get(id) || id;
  },

  platformName(id) {
    const found = this.catalog && this.catalog.platforms.find((p) => p.id === id);
    return found ? found.name : id;
  },

  styleName(id) {
    const found = this.catalog && this.catalog.styles.find((s) => s.id === id);
    return found ? found.name : id;
  },
};

/** The colour theme preference and how it is applied (`data-theme` on <html>; absent = follow the system). */

export type ThemePreference = "light" | "dark" | "system";

export const THEME_STORAGE_KEY = "loopscope-theme";

export function isThemePreference(value: unknown): value is ThemePreference {
  return value === "light" || value === "dark" || value === "system";
}

/**
 * A tiny script for <head> that applies the stored theme before first paint (no light flash on a
 * dark-theme reload). Kept in sync with applyTheme below.
 */
export const THEME_BOOT_SCRIPT = `try{var t=localStorage.getItem(${JSON.stringify(THEME_STORAGE_KEY)});if(t==="light"||t==="dark")document.documentElement.setAttribute("data-theme",t)}catch(e){}`;

/** Sets or clears `data-theme` on the document element. */
export function applyTheme(preference: ThemePreference, root: HTMLElement): void {
  if (preference === "system") root.removeAttribute("data-theme");
  else root.setAttribute("data-theme", preference);
}

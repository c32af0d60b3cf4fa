"use client";

import { useEffect, useId, useState } from "react";
import { applyTheme, isThemePreference, THEME_STORAGE_KEY, type ThemePreference } from "./theme";

/** Light / dark / system theme select. Remembers the choice in localStorage and sets `data-theme` on <html>. */
export function ThemeToggle() {
  const id = useId();
  const [preference, setPreference] = useState<ThemePreference>("system");

  useEffect(() => {
    try {
      const stored = window.localStorage.getItem(THEME_STORAGE_KEY);
      if (isThemePreference(stored)) setPreference(stored);
    } catch {
      // Storage can be unavailable (private mode, disabled); the system theme applies.
    }
  }, []);

  const choose = (next: ThemePreference) => {
    setPreference(next);
    applyTheme(next, document.documentElement);
    try {
      if (next === "system") window.localStorage.removeItem(THEME_STORAGE_KEY);
      else window.localStorage.setItem(THEME_STORAGE_KEY, next);
    } catch {
      // Not remembered across reloads, but applied for this page.
    }
  };

  return (
    <span className="theme-toggle">
      <label htmlFor={id} className="control-label">
        Theme
      </label>
      <select id={id} value={preference} onChange={(e) => isThemePreference(e.target.value) && choose(e.target.value)} data-testid="theme-toggle">
        <option value="system">System</option>
        <option value="light">Light</option>
        <option value="dark">Dark</option>
      </select>
    </span>
  );
}

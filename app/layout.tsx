import type { Metadata } from "next";
import type { ReactNode } from "react";
import { ThemeScript } from "../components/controls/ThemeScript";
import { ThemeToggle } from "../components/controls/ThemeToggle";
import { TrpcReactProvider } from "./_trpc/client";
import { SignedInAs } from "./login/SignedInAs";
import "./globals.css";

export const metadata: Metadata = {
  title: "Loopscope",
  description: "Observability and leak diagnostics for Kubernetes-style controllers",
};

// Rendered per request: the CSP nonce (server/http/security-headers.ts) and the signed-in user.
export const dynamic = "force-dynamic";

const NAV = [
  { href: "/", label: "Overview" },
  { href: "/leaks", label: "Leaks" },
  { href: "/alerts", label: "Alerts" },
  { href: "/explore", label: "Explore" },
  { href: "/targets", label: "Targets" },
];

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en" suppressHydrationWarning>
      <head>
        <ThemeScript />
      </head>
      <body>
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        <header className="topbar">
          <a className="brand" href="/">
            Loopscope
          </a>
          <nav aria-label="Main">
            {NAV.map((item) => (
              <a key={item.href} href={item.href}>
                {item.label}
              </a>
            ))}
          </nav>
          <ThemeToggle />
          <SignedInAs />
        </header>
        <TrpcReactProvider>
          <main id="main" tabIndex={-1}>
            {children}
          </main>
        </TrpcReactProvider>
      </body>
    </html>
  );
}

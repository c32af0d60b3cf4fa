import type { GoFrame } from "./goroutine-dump";

/**
 * Which frames of a Go stack are the user's own code. The Go standard library's import
 * paths have no dot in their first element ("net/http", "runtime"), every module path
 * outside it does ("sigs.k8s.io/controller-runtime") — except the main package, "main".
 * Frameworks are not the user's code either: a leak is fixed where the user called them.
 */

/** Module path prefixes treated as libraries, not user code, when a stack also has user frames. */
export const DEFAULT_LIBRARY_PREFIXES: readonly string[] = [
  "sigs.k8s.io/",
  "k8s.io/",
  "github.com/go-logr/",
  "go.uber.org/",
  "golang.org/x/",
  "google.golang.org/",
  "github.com/prometheus/client_golang/",
  "github.com/prometheus/common/",
  "go.opentelemetry.io/",
  "github.com/golang/",
  "github.com/google/",
  "github.com/grpc-ecosystem/",
];

/** The package path of a function name: "net/http.(*conn).serve" → "net/http"; "main.main" → "main". */
export function packageOf(fn: string): string {
  const slash = fn.lastIndexOf("/");
  const dot = fn.indexOf(".", slash + 1);
  return dot < 0 ? fn : fn.slice(0, dot);
}

/** A standard-library (or runtime) frame: its package's first path element has no dot. */
export function isStandardLibrary(frame: GoFrame): boolean {
  const pkg = packageOf(frame.fn);
  if (pkg === "main") return false;
  const first = pkg.split("/", 1)[0];
  return !first.includes(".");
}

export function isLibrary(frame: GoFrame, libraries: readonly string[] = DEFAULT_LIBRARY_PREFIXES): boolean {
  const pkg = packageOf(frame.fn);
  return libraries.some((prefix) => pkg.startsWith(prefix) || `${pkg}/` === prefix);
}

/**
 * The user's frames, innermost first: neither standard library nor a known library. When
 * a stack has none (a goroutine entirely inside a framework, or a program like Prometheus
 * whose own packages are listed as libraries), its non-standard-library frames, and
 * failing that the whole stack.
 */
export function userFrames(frames: readonly GoFrame[], libraries: readonly string[] = DEFAULT_LIBRARY_PREFIXES): GoFrame[] {
  const own = frames.filter((f) => !isStandardLibrary(f) && !isLibrary(f, libraries));
  if (own.length > 0) return own;
  const nonStd = frames.filter((f) => !isStandardLibrary(f));
  return nonStd.length > 0 ? nonStd : [...frames];
}

/** "file:line", with a GOPATH/module-cache or GOROOT prefix trimmed to the module-relative path. */
export function shortLocation(frame: GoFrame): string {
  const file = frame.file;
  const mod = file.indexOf("/pkg/mod/");
  if (mod >= 0) return `${file.slice(mod + "/pkg/mod/".length)}:${frame.line}`;
  // GOROOT, wherever it is (/usr/local/go, /usr/lib/go-1.19, a downloaded toolchain).
  if (isStandardLibraryFile(file)) return `${file.slice(file.indexOf("/src/") + "/src/".length)}:${frame.line}`;
  return `${file}:${frame.line}`;
}

function isStandardLibraryFile(file: string): boolean {
  return /^\/usr\/(local\/go|lib\/go[^/]*)\/src\//.test(file) || /\/toolchain@[^/]+\/src\//.test(file);
}

/** A frame as shown: "fn (file:line)". */
export function formatGoFrame(frame: GoFrame): string {
  return `${frame.fn} (${shortLocation(frame)})`;
}

import type { Exemplar, ExpositionFormat, Labels, MetricFamily, MetricType, ParsedExposition, Sample } from "./metric-family";
import { formatOpenMetricsFloat, parsePrometheusFloat } from "./prometheus-float";

/**
 * A parser for the Prometheus text format 0.0.4 and OpenMetrics 1.0 text, written for
 * what real exporters emit (client_golang, prom-client, component-base): HELP/TYPE/UNIT,
 * every family type, escaped label values and HELP, NaN/±Inf, timestamps, exemplars and
 * `# EOF`. It is pure and all-or-nothing: it returns every family or throws one
 * {@link ParseError} naming the first bad line; it never throws anything else and
 * always finishes in time linear in the input.
 *
 * Deliberate choices (documented so the stored data is predictable):
 * - Samples are grouped into the family they belong to by name and type (`foo_bucket`
 *   into histogram `foo`); a sample with no declared family gets an `untyped` family of
 *   its own. Families without samples are dropped, as client_golang's parser does.
 * - `le` (histograms) and `quantile` (summaries) are rewritten to the canonical float
 *   spelling Prometheus 3 uses (`1` → `1.0`, `+Inf` stays), so the same bucket is the
 *   same series whichever format the target served. Turn off with
 *   `normalizeBucketLabels: false`.
 * - Labels with empty values are kept (`priority=""`), as exposed.
 * - A series repeated within one exposition (same name, labels and timestamp) is
 *   dropped and counted in `duplicates`, the first occurrence kept, as Prometheus's
 *   scrape loop does (it keeps `up` = 1 and counts the rest as duplicate samples).
 * - Unknown escape sequences are kept literally (as Prometheus does) rather than rejected.
 */

export class ParseError extends Error {
  constructor(
    /** 1-based line of the input where the problem is. */
    readonly line: number,
    /** What is wrong, without the line prefix. */
    readonly detail: string,
    /** `sample-limit` when the exposition has more samples than allowed. */
    readonly kind: "syntax" | "sample-limit" = "syntax",
  ) {
    super(`line ${line}: ${detail}`);
    this.name = "ParseError";
  }
}

export interface ParseOptions {
  /** Which grammar to apply; default `text` (0.0.4). */
  readonly format?: ExpositionFormat;
  /** Throw a `sample-limit` ParseError once more samples than this are seen. */
  readonly maxSamples?: number;
  /** Rewrite `le`/`quantile` to canonical floats (default true). */
  readonly normalizeBucketLabels?: boolean;
  /** Keep OpenMetrics `_created` samples of counters, histograms and summaries (default true). */
  readonly keepCreatedSamples?: boolean;
}

const TYPE_NAMES: Readonly<Record<string, MetricType>> = {
  counter: "counter",
  gauge: "gauge",
  histogram: "histogram",
  gaugehistogram: "gaugehistogram",
  summary: "summary",
  info: "info",
  stateset: "stateset",
  untyped: "untyped",
  unknown: "untyped",
};

/** The sample-name suffixes each family type owns ("" is the bare family name). */
const SUFFIXES: Readonly<Record<MetricType, readonly string[]>> = {
  counter: ["", "_total", "_created"],
  gauge: [""],
  untyped: [""],
  histogram: ["_bucket", "_sum", "_count", "_created"],
  gaugehistogram: ["_bucket", "_gsum", "_gcount"],
  summary: ["", "_sum", "_count", "_created"],
  info: ["_info"],
  stateset: [""],
};
const KNOWN_SUFFIXES = ["_bucket", "_sum", "_count", "_total", "_created", "_gsum", "_gcount", "_info"];

interface FamilyState {
  readonly name: string;
  type: MetricType;
  typeLine: number;
  help: string | undefined;
  unit: string | undefined;
  readonly samples: Sample[];
}

const SPACE = 0x20;
const TAB = 0x09;
const QUOTE = 0x22;
const HASH = 0x23;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const COMMA = 0x2c;
const EQUALS = 0x3d;
const CR = 0x0d;

function isNameStart(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || c === 0x3a;
}
function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= 0x30 && c <= 0x39);
}
function isLabelStart(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f;
}
function isLabelChar(c: number): boolean {
  return isLabelStart(c) || (c >= 0x30 && c <= 0x39);
}

const INTEGER = /^[+-]?\d+$/;

/** Parses one exposition. Throws {@link ParseError} (and nothing else) when it is invalid. */
export function parseExposition(input: string, options: ParseOptions = {}): ParsedExposition {
  return new ExpositionParser(input, options).run();
}

/**
 * The format a response is in: OpenMetrics when its Content-Type says so, text 0.0.4
 * when it says text/plain, and otherwise OpenMetrics only if the body ends in `# EOF`.
 */
export function detectFormat(contentType: string | undefined, body: string): ExpositionFormat {
  const mediaType = (contentType ?? "").split(";")[0].trim().toLowerCase();
  if (mediaType === "application/openmetrics-text") return "openmetrics";
  if (mediaType === "text/plain") return "text";
  return /(^|\n)# EOF\n?$/.test(body) ? "openmetrics" : "text";
}

class ExpositionParser {
  private readonly openMetrics: boolean;
  private readonly maxSamples: number;
  private readonly normalize: boolean;
  private readonly keepCreated: boolean;
  private readonly families = new Map<string, FamilyState>();
  private readonly order: FamilyState[] = [];
  /** Series seen so far by a 32-bit hash of name, labels and timestamp; collisions are compared in full. */
  private readonly seen = new Map<number, Sample | Set<string>>();
  /** Bucket bounds repeat on every series of a histogram; format each spelling once. */
  private readonly canonicalBounds = new Map<string, string>();
  private sampleCount = 0;
  private duplicates = 0;
  /** Scratch label buffers reused for every sample and exemplar: labels are copied into a fresh record. */
  private readonly labels = new LabelBuffer();
  private readonly exemplarLabels = new LabelBuffer();
  private readonly shapes = new Map<string, LabelShape>();
  private lastShape: LabelShape | undefined;
  private lastSampleName = "";
  private lastFamily: FamilyState | undefined;
  private lastSuffix = "";
  private line = 0;
  private eofLine = 0;
  /** Cursor and end of the current line. */
  private i = 0;
  private end = 0;

  constructor(
    private readonly input: string,
    options: ParseOptions,
  ) {
    this.openMetrics = options.format === "openmetrics";
    this.maxSamples = options.maxSamples ?? Number.POSITIVE_INFINITY;
    this.normalize = options.normalizeBucketLabels ?? true;
    this.keepCreated = options.keepCreatedSamples ?? true;
  }

  run(): ParsedExposition {
    const input = this.input;
    const length = input.length;
    let start = input.charCodeAt(0) === 0xfeff ? 1 : 0; // a byte-order mark some Windows exporters write
    while (start < length) {
      let newline = input.indexOf("\n", start);
      if (newline === -1) newline = length;
      this.line++;
      let end = newline;
      if (end > start && input.charCodeAt(end - 1) === CR) end--;
      this.i = start;
      this.end = end;
      this.parseLine();
      start = newline + 1;
    }
    if (this.openMetrics && this.eofLine === 0) {
      throw new ParseError(Math.max(this.line, 1), "OpenMetrics exposition does not end with '# EOF' (truncated response?)");
    }
    const families: MetricFamily[] = [];
    for (const family of this.order) {
      if (family.samples.length === 0) continue;
      const out: { -readonly [K in keyof MetricFamily]: MetricFamily[K] } = { name: family.name, type: family.type, help: family.help ?? "", samples: family.samples };
      if (family.unit !== undefined) out.unit = family.unit;
      families.push(out);
    }
    return { families, sampleCount: this.sampleCount, duplicates: this.duplicates };
  }

  // ---- lines --------------------------------------------------------------------

  private parseLine(): void {
    this.skipBlanks();
    if (this.i >= this.end) return;
    if (this.eofLine !== 0) this.fail("unexpected content after '# EOF'");
    if (this.input.charCodeAt(this.i) === HASH) this.parseComment();
    else this.parseSample();
  }

  private parseComment(): void {
    const lineStart = this.i;
    this.i++;
    this.skipBlanks();
    const wordStart = this.i;
    while (this.i < this.end && !this.isBlank(this.input.charCodeAt(this.i))) this.i++;
    const word = this.input.slice(wordStart, this.i);
    switch (word) {
      case "HELP":
        this.parseHelp();
        return;
      case "TYPE":
        this.parseType();
        return;
      case "UNIT":
        this.parseUnit();
        return;
      case "EOF":
        if (!this.openMetrics) return;
        if (this.input.slice(lineStart, this.end).trimEnd() !== "# EOF") this.fail("expected exactly '# EOF'");
        this.eofLine = this.line;
        return;
      default:
        if (this.openMetrics) this.fail(`unexpected comment ${this.excerpt(lineStart)}: OpenMetrics allows only # HELP, # TYPE, # UNIT and # EOF`);
    }
  }

  private parseHelp(): void {
    const name = this.readMetadataName("HELP");
    const family = this.family(name);
    const raw = this.i < this.end ? this.input.slice(this.i, this.end) : "";
    const text = raw.includes("\\") ? this.unescapeHelp(raw) : raw;
    // Some exporters repeat a family's metadata block; a repeat that agrees is harmless.
    if (family.help !== undefined && family.help !== text) this.fail(`second HELP line for ${name} with different text`);
    family.help = text;
  }

  private parseType(): void {
    const name = this.readMetadataName("TYPE");
    const typeWord = this.input.slice(this.i, this.end).trimEnd();
    const type = TYPE_NAMES[typeWord];
    if (type === undefined) this.fail(`unknown metric type ${JSON.stringify(typeWord)} for ${name} (expected counter, gauge, histogram, summary or untyped)`);
    const family = this.family(name);
    if (family.typeLine !== 0) {
      if (family.type === type) return; // a repeated, agreeing metadata block
      this.fail(`second TYPE line for ${name} says ${typeWord}, but line ${family.typeLine} said ${family.type}`);
    }
    if (family.samples.length > 0) this.fail(`TYPE line for ${name} comes after its samples`);
    family.type = type;
    family.typeLine = this.line;
    // A sample seen before may now belong to this family under a different suffix.
    this.lastSampleName = "";
  }

  private parseUnit(): void {
    const name = this.readMetadataName("UNIT");
    const unit = this.input.slice(this.i, this.end).trimEnd();
    const family = this.family(name);
    if (family.unit !== undefined) this.fail(`second UNIT line for ${name}`);
    if (this.openMetrics && unit !== "" && !name.endsWith(`_${unit}`)) this.fail(`unit ${JSON.stringify(unit)} is not a suffix of the metric name ${name}`);
    family.unit = unit;
  }

  /** Reads `<name>` after HELP/TYPE/UNIT and the blanks that follow it. */
  private readMetadataName(keyword: string): string {
    this.skipBlanks();
    let name: string | undefined;
    if (this.i < this.end && this.input.charCodeAt(this.i) === QUOTE) name = this.readQuoted("metric name");
    else name = this.readName();
    if (name === undefined) this.fail(`expected a metric name after # ${keyword}, found ${this.describeHere()}`);
    if (this.i < this.end && !this.isBlank(this.input.charCodeAt(this.i))) this.fail(`unexpected ${this.describeHere()} after the metric name in # ${keyword}`);
    this.skipBlanks();
    return name;
  }

  // ---- samples ------------------------------------------------------------------

  private parseSample(): void {
    const lineStart = this.i;
    let name = this.readName();
    const labels = this.labels;
    labels.reset();
    if (name === undefined && this.input.charCodeAt(this.i) !== OPEN_BRACE) {
      this.fail(`expected a metric name or '#', found ${this.describeHere()}${this.context(lineStart)}`);
    }
    let separated = false;
    if (name !== undefined) {
      const c = this.input.charCodeAt(this.i);
      if (this.i < this.end && !this.isBlank(c) && c !== OPEN_BRACE) this.fail(`unexpected ${this.describeHere()} after metric name ${name}`);
      separated = this.skipBlanks();
    }
    if (this.i < this.end && this.input.charCodeAt(this.i) === OPEN_BRACE) {
      const quotedName = this.readLabels(labels, name === undefined);
      if (quotedName !== undefined) name = quotedName;
      if (name === undefined) this.fail("the label set has no metric name in it");
      separated = this.skipBlanks();
    }
    if (name === undefined) this.fail("missing metric name");
    if (this.i >= this.end) this.fail(`missing value for ${name}`);
    if (!separated) this.fail(`expected a space before the value of ${name}, found ${this.describeHere()}`);
    const value = this.readValue(name);
    let timestampMs: number | undefined;
    let exemplar: Exemplar | undefined;
    this.skipBlanks();
    if (this.i < this.end && this.input.charCodeAt(this.i) !== HASH) {
      timestampMs = this.readTimestamp();
      this.skipBlanks();
    }
    if (this.i < this.end) {
      if (this.input.charCodeAt(this.i) !== HASH) this.fail(`unexpected ${this.describeHere()} after the timestamp of ${name}`);
      if (!this.openMetrics) this.fail(`unexpected '#' after the value of ${name}: exemplars are only valid in OpenMetrics`);
      exemplar = this.readExemplar();
    }
    this.addSample(name, labels, value, timestampMs, exemplar);
  }

  private addSample(name: string, buffer: LabelBuffer, value: number, timestampMs: number | undefined, exemplar: Exemplar | undefined): void {
    let family: FamilyState;
    let suffix: string;
    if (name === this.lastSampleName && this.lastFamily !== undefined) {
      family = this.lastFamily;
      suffix = this.lastSuffix;
    } else {
      [family, suffix] = this.familyOf(name);
      this.lastSampleName = name;
      this.lastFamily = family;
      this.lastSuffix = suffix;
    }
    const type = family.type;
    if (suffix === "_bucket" && (type === "histogram" || type === "gaugehistogram")) this.checkBound(buffer, "le", name);
    else if (suffix === "" && type === "summary") this.checkBound(buffer, "quantile", name);
    else if (suffix === "_created" && !this.keepCreated) return;

    const labels = this.buildLabels(buffer);
    const sample: { -readonly [K in keyof Sample]: Sample[K] } = { name, labels, value };
    if (timestampMs !== undefined) sample.timestampMs = timestampMs;
    if (this.isDuplicate(sample, buffer)) {
      this.duplicates++;
      return;
    }
    if (exemplar !== undefined) sample.exemplar = exemplar;
    family.samples.push(sample);
    if (++this.sampleCount > this.maxSamples) {
      throw new ParseError(this.line, `more than ${this.maxSamples} samples, the sample limit`, "sample-limit");
    }
  }

  /** Whether the same series (and timestamp) was already exposed. Hashing avoids building a key string per sample. */
  private isDuplicate(sample: Sample, buffer: LabelBuffer): boolean {
    let hash = hashString(0x811c9dc5, sample.name);
    if (buffer.count > 0 && this.lastShape !== undefined) {
      // buildLabels just used lastShape for this buffer; its order is the sorted one.
      for (const k of this.lastShape.order) hash = hashString(hashString(hash ^ 0xff, buffer.names[k]) ^ 0xfe, buffer.values[k]);
    }
    if (sample.timestampMs !== undefined) hash = Math.imul(hash ^ (sample.timestampMs | 0), 0x01000193);
    const earlier = this.seen.get(hash);
    if (earlier === undefined) {
      this.seen.set(hash, sample);
      return false;
    }
    // A hash collision (rare, or crafted): compare full keys, kept in a set so it stays O(1).
    const keys = earlier instanceof Set ? earlier : new Set([seriesKey(earlier)]);
    const key = seriesKey(sample);
    if (keys.has(key)) return true;
    keys.add(key);
    this.seen.set(hash, keys);
    return false;
  }

  /** The family a sample name belongs to, and the suffix it has in that family. */
  private familyOf(name: string): [FamilyState, string] {
    const exact = this.families.get(name);
    if (exact !== undefined && SUFFIXES[exact.type].includes("")) return [exact, ""];
    for (const suffix of KNOWN_SUFFIXES) {
      if (!name.endsWith(suffix)) continue;
      const base = this.families.get(name.slice(0, -suffix.length));
      if (base !== undefined && SUFFIXES[base.type].includes(suffix)) return [base, suffix];
    }
    if (exact !== undefined) {
      const expected = SUFFIXES[exact.type].map((s) => `${name}${s}`).join(", ");
      this.fail(`sample ${name} does not fit ${exact.type} ${name} (expected ${expected})`);
    }
    return [this.family(name), ""];
  }

  private family(name: string): FamilyState {
    let family = this.families.get(name);
    if (family === undefined) {
      family = { name, type: "untyped", typeLine: 0, help: undefined, unit: undefined, samples: [] };
      this.families.set(name, family);
      this.order.push(family);
    }
    return family;
  }

  /** Checks the `le`/`quantile` label of a bucket or quantile and canonicalises it. */
  private checkBound(buffer: LabelBuffer, label: "le" | "quantile", name: string): void {
    const at = buffer.indexOf(label);
    const values = buffer.values;
    if (at === -1) this.fail(`${name} has no ${label} label`);
    const bound = parsePrometheusFloat(values[at]);
    if (bound === undefined) this.fail(`${name} has an invalid ${label} label value ${JSON.stringify(values[at])}`);
    if (this.normalize) {
      let canonical = this.canonicalBounds.get(values[at]);
      if (canonical === undefined) {
        canonical = formatOpenMetricsFloat(bound);
        this.canonicalBounds.set(values[at], canonical);
      }
      values[at] = canonical;
    }
  }

  private buildLabels(buffer: LabelBuffer): Labels {
    if (buffer.count === 0) return {};
    let shape = this.lastShape;
    if (shape === undefined || !buffer.hasNames(shape.names)) {
      const names = buffer.names.slice(0, buffer.count);
      const key = names.join("\u0000");
      shape = this.shapes.get(key);
      if (shape === undefined) {
        shape = labelShape(names, this.shapes.size < MAX_COMPILED_SHAPES);
        this.shapes.set(key, shape);
      }
      this.lastShape = shape;
    }
    return shape.make(buffer.values);
  }

  // ---- tokens -------------------------------------------------------------------

  /** Reads `{…}` into names/values; returns a quoted metric name found inside, if allowed. */
  private readLabels(buffer: LabelBuffer, nameAllowed: boolean): string | undefined {
    const input = this.input;
    let quotedName: string | undefined;
    this.i++; // {
    this.skipBlanks();
    while (true) {
      if (this.i >= this.end) this.fail("unterminated label set (missing '}')");
      const c = input.charCodeAt(this.i);
      if (c === CLOSE_BRACE) {
        this.i++;
        return quotedName;
      }
      let labelName: string | undefined;
      if (c === QUOTE) {
        const quoted = this.readQuoted("label name");
        this.skipBlanks();
        const next = input.charCodeAt(this.i);
        if (this.i < this.end && next !== EQUALS) {
          if (!nameAllowed || quotedName !== undefined || buffer.count > 0) this.fail(`expected '=' after label name ${JSON.stringify(quoted)}, found ${this.describeHere()}`);
          quotedName = quoted;
          this.afterLabel();
          continue;
        }
        labelName = quoted;
      } else {
        labelName = this.readLabelName();
        if (labelName === undefined) this.fail(`expected a label name, found ${this.describeHere()}`);
        this.skipBlanks();
      }
      if (this.i >= this.end || input.charCodeAt(this.i) !== EQUALS) this.fail(`expected '=' after label name ${labelName}, found ${this.describeHere()}`);
      this.i++;
      this.skipBlanks();
      if (this.i >= this.end || input.charCodeAt(this.i) !== QUOTE) this.fail(`expected '"' to start the value of label ${labelName}, found ${this.describeHere()}`);
      const value = this.readQuoted("label value");
      if (buffer.indexOf(labelName) !== -1) this.fail(`duplicate label ${labelName}`);
      buffer.add(labelName, value);
      this.skipBlanks();
      this.afterLabel();
    }
  }

  /** After one label: a ',' (blanks allowed after it) or the closing '}'. */
  private afterLabel(): void {
    if (this.i >= this.end) this.fail("unterminated label set (missing '}')");
    const c = this.input.charCodeAt(this.i);
    if (c === COMMA) {
      this.i++;
      this.skipBlanks();
    } else if (c !== CLOSE_BRACE) {
      this.fail(`expected ',' or '}' in the label set, found ${this.describeHere()}`);
    }
  }

  /** Reads a double-quoted string at the cursor and unescapes \\ \" \n. */
  private readQuoted(what: string): string {
    const input = this.input;
    const start = ++this.i;
    let k = start;
    let escaped = false;
    while (k < this.end) {
      const c = input.charCodeAt(k);
      if (c === QUOTE) break;
      if (c === BACKSLASH) {
        escaped = true;
        k += 2;
      } else k++;
    }
    if (k >= this.end) this.fail(`unterminated ${what} (missing closing '"')`);
    this.i = k + 1;
    const raw = input.slice(start, k);
    return escaped ? unescapeText(raw, true) : raw;
  }

  private readName(): string | undefined {
    const input = this.input;
    const start = this.i;
    if (start >= this.end || !isNameStart(input.charCodeAt(start))) return undefined;
    let k = start + 1;
    while (k < this.end && isNameChar(input.charCodeAt(k))) k++;
    this.i = k;
    return input.slice(start, k);
  }

  private readLabelName(): string | undefined {
    const input = this.input;
    const start = this.i;
    if (start >= this.end || !isLabelStart(input.charCodeAt(start))) return undefined;
    let k = start + 1;
    while (k < this.end && isLabelChar(input.charCodeAt(k))) k++;
    this.i = k;
    return input.slice(start, k);
  }

  private readToken(): string {
    const start = this.i;
    while (this.i < this.end && !this.isBlank(this.input.charCodeAt(this.i))) this.i++;
    return this.input.slice(start, this.i);
  }

  private readValue(name: string): number {
    const token = this.readToken();
    const value = parsePrometheusFloat(token);
    if (value === undefined) this.fail(`invalid value ${this.quoteToken(token)} for ${name} (expected a float, NaN, +Inf or -Inf)`);
    return value;
  }

  /** Text 0.0.4: integer milliseconds. OpenMetrics: float seconds. Both become epoch ms. */
  private readTimestamp(): number {
    const token = this.readToken();
    if (this.openMetrics) {
      const seconds = parsePrometheusFloat(token);
      if (seconds === undefined || !Number.isFinite(seconds)) this.fail(`invalid timestamp ${this.quoteToken(token)} (expected seconds since the epoch)`);
      return Math.round(seconds * 1000);
    }
    if (!INTEGER.test(token)) this.fail(`invalid timestamp ${this.quoteToken(token)} (expected integer milliseconds since the epoch)`);
    return Number(token);
  }

  /** `# {labels} value [timestamp]` after a sample (OpenMetrics). */
  private readExemplar(): Exemplar {
    this.i++; // #
    this.skipBlanks();
    if (this.i >= this.end || this.input.charCodeAt(this.i) !== OPEN_BRACE) this.fail(`expected '{' to start an exemplar, found ${this.describeHere()}`);
    const buffer = this.exemplarLabels;
    buffer.reset();
    this.readLabels(buffer, false);
    this.skipBlanks();
    const token = this.readToken();
    const value = parsePrometheusFloat(token);
    if (value === undefined) this.fail(`invalid exemplar value ${this.quoteToken(token)}`);
    this.skipBlanks();
    let timestampMs: number | undefined;
    if (this.i < this.end) {
      const tsToken = this.readToken();
      const seconds = parsePrometheusFloat(tsToken);
      if (seconds === undefined || !Number.isFinite(seconds)) this.fail(`invalid exemplar timestamp ${this.quoteToken(tsToken)}`);
      timestampMs = Math.round(seconds * 1000);
      this.skipBlanks();
      if (this.i < this.end) this.fail(`unexpected ${this.describeHere()} after the exemplar`);
    }
    const labels = this.buildLabels(buffer);
    return timestampMs === undefined ? { labels, value } : { labels, value, timestampMs };
  }

  // ---- helpers ------------------------------------------------------------------

  private isBlank(c: number): boolean {
    return c === SPACE || c === TAB;
  }

  /** Skips spaces and tabs; true when there were any. */
  private skipBlanks(): boolean {
    const from = this.i;
    while (this.i < this.end && this.isBlank(this.input.charCodeAt(this.i))) this.i++;
    return this.i > from;
  }

  private unescapeHelp(text: string): string {
    return unescapeText(text, this.openMetrics);
  }

  private describeHere(): string {
    if (this.i >= this.end) return "end of line";
    const c = this.input.codePointAt(this.i) ?? 0;
    if (c < 0x20 || c === 0x7f || c === 0xfffd) return `byte 0x${c.toString(16).padStart(2, "0")}`;
    return JSON.stringify(String.fromCodePoint(c));
  }

  private excerpt(from: number): string {
    const text = this.input.slice(from, Math.min(this.end, from + 60));
    return JSON.stringify(this.end - from > 60 ? `${text}…` : text);
  }

  private context(from: number): string {
    return ` in ${this.excerpt(from)}`;
  }

  private quoteToken(token: string): string {
    return JSON.stringify(token.length > 40 ? `${token.slice(0, 40)}…` : token);
  }

  private fail(detail: string): never {
    throw new ParseError(this.line, detail);
  }
}

/** FNV-1a over the UTF-16 code units of `text`, continuing from `hash`. */
function hashString(hash: number, text: string): number {
  let h = hash;
  for (let k = 0; k < text.length; k++) h = Math.imul(h ^ text.charCodeAt(k), 0x01000193);
  return h;
}

/** The identity of a series (and timestamp) as a string; labels are already in sorted order. */
function seriesKey(sample: Sample): string {
  let key = sample.name;
  for (const name of Object.keys(sample.labels)) key += `\u0000${name}\u0001${sample.labels[name]}`;
  return sample.timestampMs === undefined ? key : `${key}\u0000@${sample.timestampMs}`;
}

/** The label names and values of the sample being read, in exposition order. */
class LabelBuffer {
  readonly names: string[] = [];
  readonly values: string[] = [];
  count = 0;

  reset(): void {
    this.count = 0;
  }

  add(name: string, value: string): void {
    this.names[this.count] = name;
    this.values[this.count] = value;
    this.count++;
  }

  indexOf(name: string): number {
    for (let k = 0; k < this.count; k++) if (this.names[k] === name) return k;
    return -1;
  }

  /** True when the buffer holds exactly these names in this order. */
  hasNames(names: readonly string[]): boolean {
    if (names.length !== this.count) return false;
    for (let k = 0; k < this.count; k++) if (names[k] !== this.names[k]) return false;
    return true;
  }
}

interface LabelShape {
  readonly names: readonly string[];
  /** Indexes into `names` in sorted-name order. */
  readonly order: readonly number[];
  readonly make: (values: readonly string[]) => Labels;
}

/** Bounds the compiled label makers per exposition, so hostile input cannot make it compile without end. */
const MAX_COMPILED_SHAPES = 512;
const ARRAY_INDEX = /^(?:0|[1-9]\d*)$/;

/**
 * A maker of label records for one list of label names (as exposed, in any order). The
 * record's keys are in sorted order. For ordinary names the maker is a compiled object
 * literal (keys are JSON-quoted, so no name can inject code): one allocation with a
 * fixed hidden class, several times faster than adding keys one by one.
 */
function labelShape(exposed: readonly string[], compile: boolean): LabelShape {
  const names = [...exposed];
  const order = names.map((_, k) => k).sort((a, b) => (names[a] < names[b] ? -1 : names[a] > names[b] ? 1 : 0));
  const ordinary = names.every((name) => name !== "__proto__" && !ARRAY_INDEX.test(name));
  if (compile && ordinary) {
    const body = `return {${order.map((k) => `${JSON.stringify(names[k])}: v[${k}]`).join(", ")}};`;
    return { names, order, make: new Function("v", body) as (values: readonly string[]) => Labels };
  }
  return {
    names,
    order,
    make: (values) => {
      const labels: Record<string, string> = {};
      for (const k of order) setLabel(labels, names[k], values[k]);
      return labels;
    },
  };
}

/** Sets a label; `__proto__` is defined as an own property rather than changing the prototype. */
function setLabel(labels: Record<string, string>, name: string, value: string): void {
  if (name === "__proto__") Object.defineProperty(labels, name, { value, enumerable: true, writable: true, configurable: true });
  else labels[name] = value;
}

/** Resolves `\\` and `\n` (and `\"` when quotes are escapable); keeps unknown escapes as written. */
function unescapeText(raw: string, quotes: boolean): string {
  let out = "";
  let from = 0;
  for (let k = raw.indexOf("\\"); k !== -1 && k < raw.length - 1; k = raw.indexOf("\\", from)) {
    const next = raw[k + 1];
    const replacement = next === "\\" ? "\\" : next === "n" ? "\n" : next === '"' && quotes ? '"' : undefined;
    if (replacement === undefined) {
      out += raw.slice(from, k + 2);
    } else {
      out += raw.slice(from, k) + replacement;
    }
    from = k + 2;
  }
  return out + raw.slice(from);
}

/**
 * Which sink loads a topic, and into which table: the literal topics of sinks declared whole, and the
 * `topic-pattern`s whose matched topics each get a table from the sink's template. Used on both
 * threads with the same mapping, so the main thread's routing and a worker's tables always agree.
 */
import { CdcError } from '../errors.js';
import type { Mapping, SinkDeclaration, TopicSinkDeclaration } from './mapping.js';

/** Postgres truncates identifiers beyond this many bytes (NAMEDATALEN - 1). */
export const IDENTIFIER_MAX_BYTES = 63;

export interface Route {
  /** The sink's name: what a task names, and what --topics selects. */
  sink: string;
  /** Declared whole, or resolved per topic. */
  kind: 'whole' | 'topic';
  schema: string | undefined;
  table: string;
  /** `schema.table` or `table`, for messages and metrics labels. */
  tableName: string;
}

interface Pattern {
  sink: TopicSinkDeclaration;
  re: RegExp;
}

/** A template with `${1}`..`${9}` from the match and `${topic}` filled in. */
function fill(template: string, topic: string, groups: readonly (string | undefined)[]): string {
  return template.replace(/\$\{([^}]*)\}/g, (_all, name: string) => (name === 'topic' ? topic : (groups[Number(name)] ?? '')));
}

/** Why Postgres cannot take this identifier as it stands, or undefined. */
export function identifierProblem(name: string): string | undefined {
  if (name === '') return 'is empty';
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > IDENTIFIER_MAX_BYTES) return `is ${bytes} bytes long; Postgres takes at most ${IDENTIFIER_MAX_BYTES}`;
  if (name.includes('\0')) return 'holds a NUL character';
  return undefined;
}

export class SinkRouter {
  readonly #whole = new Map<string, SinkDeclaration>();
  readonly #literal = new Map<string, TopicSinkDeclaration>();
  readonly #patterns: Pattern[] = [];
  readonly #routes = new Map<string, Route>();
  /** Qualified table -> the topic routed to it first: two topics may not load one table. */
  readonly #tables = new Map<string, string>();
  readonly #source: string;

  /**
   * `selected`: topic -> sink name for sinks declared whole (see selectSinks), and the names of the
   * topic sinks to run; undefined runs them all.
   */
  constructor(mapping: Mapping, selected: { whole: ReadonlyMap<string, string>; topicSinks: ReadonlySet<string> | undefined }) {
    this.#source = mapping.source;
    const byName = new Map(mapping.sinks.map((s) => [s.name, s]));
    for (const [topic, name] of selected.whole) this.#whole.set(topic, byName.get(name) as SinkDeclaration);
    for (const t of mapping.topicSinks) {
      if (selected.topicSinks !== undefined && !selected.topicSinks.has(t.name)) continue;
      if (t.topic !== undefined) this.#literal.set(t.topic, t);
      else this.#patterns.push({ sink: t, re: new RegExp(`^(?:${t.topicPattern as string})$`) });
    }
  }

  /**
   * What to subscribe to: the literal topics, and each pattern as librdkafka's regex subscription (a
   * name starting with `^`), which also picks up topics created later, at each metadata refresh.
   */
  subscription(): string[] {
    return [...this.#whole.keys(), ...this.#literal.keys(), ...this.#patterns.map((p) => `^${p.sink.topicPattern as string}$`)];
  }

  /** The topics known before any is assigned (patterns match later). */
  literalTopics(): string[] {
    return [...this.#whole.keys(), ...this.#literal.keys()];
  }

  /** Sinks as the start-up log line lists them. */
  describe(): string {
    return [
      ...[...this.#whole].map(([topic, s]) => (topic === s.name ? topic : `${s.name}=${topic}`)),
      ...[...this.#literal.keys()],
      ...this.#patterns.map((p) => `${p.sink.name}=/${p.sink.topicPattern as string}/`),
    ].join(',');
  }

  /** Whether some sink of this router takes the topic (by name or pattern). */
  takes(topic: string): boolean {
    return this.#whole.has(topic) || this.#literal.has(topic) || this.#patterns.some((p) => p.re.test(topic));
  }

  /** Whether any sink matches topics by pattern (whose topics are known only from the cluster). */
  hasPatterns(): boolean {
    return this.#patterns.length > 0;
  }

  /** The route of a topic; a CdcError naming the topic when none or two sinks take it, or its table is not a name. */
  route(topic: string): Route {
    const known = this.#routes.get(topic);
    if (known) return known;
    const route = this.#resolve(topic);
    const table = `${route.schema ?? ''}\u0000${route.table}`;
    const other = this.#tables.get(table);
    if (other !== undefined)
      throw new CdcError(
        'ERR_CDC_MAPPING',
        `${this.#source}: topics "${other}" and "${topic}" both resolve to table ${route.tableName}; one table takes one topic`,
      );
    this.#tables.set(table, topic);
    this.#routes.set(topic, route);
    return route;
  }

  #resolve(topic: string): Route {
    const whole = this.#whole.get(topic);
    const matches = this.#patterns.filter((p) => p.re.test(topic));
    const literal = this.#literal.get(topic);
    const takers = [...(whole ? [`sink "${whole.name}"`] : []), ...(literal ? [literal.at] : []), ...matches.map((m) => m.sink.at)];
    if (takers.length > 1)
      throw new CdcError(
        'ERR_CDC_MAPPING',
        `${this.#source}: topic "${topic}" is matched by ${takers.join(' and ')}; one sink must take it`,
      );
    if (whole) {
      const tableName = whole.schema === undefined ? whole.table : `${whole.schema}.${whole.table}`;
      return { sink: whole.name, kind: 'whole', schema: whole.schema, table: whole.table, tableName };
    }
    const sink = literal ?? matches[0]?.sink;
    if (!sink) throw new CdcError('ERR_CDC_MAPPING', `${this.#source}: no sink takes topic "${topic}"`);
    const groups = matches[0] ? (matches[0].re.exec(topic) as RegExpExecArray) : [];
    const table = fill(sink.tableTemplate, topic, groups);
    const schema = sink.schemaTemplate === undefined ? undefined : fill(sink.schemaTemplate, topic, groups);
    for (const [what, name] of [
      ['table', table],
      ['schema', schema],
    ] as const) {
      const problem = name === undefined ? undefined : identifierProblem(name);
      if (problem)
        throw new CdcError(
          'ERR_CDC_MAPPING',
          `${this.#source}: topic "${topic}": ${sink.at}.${what} resolves to ${JSON.stringify(name)}, which ${problem}`,
        );
    }
    return { sink: sink.name, kind: 'topic', schema, table, tableName: schema === undefined ? table : `${schema}.${table}` };
  }
}

/**
 * What the serving routes have recently answered. /health reports degraded while the last answer of
 * any serving route was a failure, so "queries fail" and "health says ok" cannot both be true.
 */
export interface RouteFailure {
  route: string;
  at: string;
  code: string;
}

export class ServingHealth {
  readonly #lastFailure = new Map<string, RouteFailure>();

  succeeded(route: string): void {
    this.#lastFailure.delete(route);
  }

  failed(route: string, code: string): void {
    this.#lastFailure.set(route, { route, at: new Date().toISOString(), code });
  }

  /** Routes whose latest answer was a failure. */
  failing(): RouteFailure[] {
    return [...this.#lastFailure.values()];
  }
}

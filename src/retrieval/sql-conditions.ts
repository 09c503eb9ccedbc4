/** Builds a parameterized `WHERE` conjunction; values are bound, never interpolated. */
export class SqlConditions {
  readonly clauses: string[] = [];
  readonly params: unknown[] = [];

  add(clause: string, ...values: unknown[]): this {
    this.clauses.push(clause);
    this.params.push(...values);
    return this;
  }

  /** `column IN (?, ?, …)`; skipped when `values` is empty or undefined. */
  addIn(column: string, values: readonly unknown[] | undefined): this {
    if (!values?.length) return this;
    return this.add(`${column} IN (${values.map(() => '?').join(', ')})`, ...values);
  }

  sql(): string {
    return this.clauses.join(' AND ');
  }
}

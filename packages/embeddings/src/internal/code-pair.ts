/** One training pair: a short description and the code it describes. */
export interface CodePair {
  query: string;
  code: string;
  /** `doc` for a doc comment's sentence, `name` for the function's name. */
  kind: 'doc' | 'name';
}

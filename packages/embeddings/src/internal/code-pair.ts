/** One training pair: a short description and the code it describes. */
export interface CodePair {
  query: string;
  code: string;
  /**
   * `doc` for a doc comment's sentence, `name` for the function's name, `test` for the name of a
   * test that calls it, `prose` for a Markdown sentence that names it.
   */
  kind: 'doc' | 'name' | 'test' | 'prose';
}

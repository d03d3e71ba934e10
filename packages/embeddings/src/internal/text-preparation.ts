/**
 * How a transformer model's input text is rewritten before its tokenizer, per model. An uncased
 * WordPiece model such as all-MiniLM-L6-v2 reads `parseHttpHeader` as `parsehttpheader` and cuts
 * it into odd word pieces; `split-identifiers` gives it the words (`parse Http Header`), on the
 * document side and the query side alike, so `how parseArgs handles flags` and the code meet.
 */
export const textPreparations = ['none', 'split-identifiers'] as const;

export type TextPreparation = (typeof textPreparations)[number];

/**
 * Breaks camelCase and PascalCase identifiers into words and turns the underscores inside
 * snake_case names into spaces: `parseHTTPHeader2` → `parse HTTP Header2`, `max_retries` →
 * `max retries`. Everything else (punctuation, line breaks, other scripts) is left as it is.
 */
export function splitIdentifierWords(text: string): string {
  return text
    .replace(/([a-z0-9])(?=[A-Z])/g, '$1 ')
    .replace(/([A-Z])(?=[A-Z][a-z])/g, '$1 ')
    .replace(/(?<=[A-Za-z0-9])_+(?=[A-Za-z0-9])/g, ' ');
}

/** Applies a model's text preparation to one text. */
export function prepareModelText(text: string, preparation: TextPreparation): string {
  return preparation === 'split-identifiers' ? splitIdentifierWords(text) : text;
}

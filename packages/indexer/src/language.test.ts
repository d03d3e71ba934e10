import { describe, expect, it } from 'vitest';
import { detectLanguage } from './language.ts';

describe('detectLanguage', () => {
  it('goes by file name and extension', () => {
    expect(detectLanguage('src/app.tsx')).toBe('typescript');
    expect(detectLanguage('Dockerfile')).toBe('dockerfile');
    expect(detectLanguage('include/uv.h')).toBe('c');
    expect(detectLanguage('README')).toBeNull();
  });

  it('tells a C++ header from a C one by its content', () => {
    const cpp = [
      'namespace absl {\n\nclass Status;\n}',
      'template <typename T>\nclass StatusOr;',
      'class AnyInvocable : public internal::Impl<Sig> {',
      'struct Options : private Base {};',
      '  std::string name;',
      'class Mutex {\n public:\n  void Lock();\n};',
    ];
    for (const content of cpp)
      expect(detectLanguage('absl/status.h', content), content).toBe('cpp');
    const c = [
      '#ifdef __cplusplus\nextern "C" {\n#endif\nstruct uv_loop_s {\n  void* data;\n};',
      'typedef struct Curl_hash {\n  struct Curl_hash_element **table;\n} Curl_hash;',
      '/* Keep this C: the class of a handle, a template for names */\nint uv_run(uv_loop_t*);',
    ];
    for (const content of c) expect(detectLanguage('src/hash.h', content), content).toBe('c');
    // Only `.h` is ambiguous.
    expect(detectLanguage('src/hash.c', 'namespace x {')).toBe('c');
  });
});

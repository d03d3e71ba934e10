import { describe, expect, it } from 'vitest';
import { definesSymbol, embeddedSymbols, fileNamedAfter, queriedSymbols } from './definitions.ts';
import { codeRanking } from './settings.ts';

describe('definitions', () => {
  it('reads the names a symbol query asks for', () => {
    expect(queriedSymbols('Phoenix.Router')).toEqual(['Router']);
    expect(queriedSymbols('Rails::Engine')).toEqual(['Engine']);
    expect(queriedSymbols('HttpClientEngine')).toEqual(['HttpClientEngine']);
    expect(embeddedSymbols('where does parseConfig call the HttpClient and read_file')).toEqual([
      'parseConfig',
      'HttpClient',
      'read_file',
    ]);
  });

  it('recognises definitions by keyword, not uses of the name', () => {
    expect(definesSymbol('class Session(SessionRedirectMixin):\n  pass', ['Session'])).toBe(true);
    expect(definesSymbol('pub trait IntoResponse {\n}', ['IntoResponse'])).toBe(true);
    expect(definesSymbol('defmodule Phoenix.Router do', ['Router'])).toBe(true);
    expect(definesSymbol('export function parseConfig(text) {}', ['parseConfig'])).toBe(true);
    expect(definesSymbol('s = Session()\nreturn s', ['Session'])).toBe(false);
    expect(definesSymbol('class SessionManager {}', ['Session'])).toBe(false);
    expect(definesSymbol('the class session is', ['Session'])).toBe(false);
  });

  it('leaves definitions in comments out when asked to', () => {
    const docComment =
      '  # Engine name is set by default:\n  #   module MyEngine\n  #     class Engine < Rails::Engine';
    const code = '  # == Loading priority\n  class Engine < Railtie';
    const saved = codeRanking.definitionsInComments;
    try {
      codeRanking.definitionsInComments = true;
      expect(definesSymbol(docComment, ['Engine'])).toBe(true);
      codeRanking.definitionsInComments = false;
      expect(definesSymbol(docComment, ['Engine'])).toBe(false);
      expect(definesSymbol(`${docComment}\n${code}`, ['Engine'])).toBe(true);
      expect(definesSymbol('/**\n * struct Point p;\n */', ['Point'])).toBe(false);
      expect(definesSymbol('// fn parse(input)', ['parse'])).toBe(false);
      expect(definesSymbol('#[derive(Debug)] struct Point {}', ['Point'])).toBe(true);
      expect(definesSymbol('-- type Name = String', ['Name'])).toBe(false);
      expect(definesSymbol('-- type Name = String\ntype Name = String', ['Name'])).toBe(true);
      expect(definesSymbol('val x = 1 // class Point', ['Point'])).toBe(true);
    } finally {
      codeRanking.definitionsInComments = saved;
    }
  });

  it('matches files named after a symbol, plural or snake_case', () => {
    expect(fileNamedAfter('src/requests/sessions.py', ['Session'])).toBe(true);
    expect(fileNamedAfter('lib/http_client.rb', ['HttpClient'])).toBe(true);
    expect(fileNamedAfter('Sources/Vapor/Application.swift', ['Application'])).toBe(true);
    expect(fileNamedAfter('src/session_store.py', ['Session'])).toBe(false);
  });
});

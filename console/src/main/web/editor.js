// A CodeMirror 6 editor as a Preact component: syntax highlighting by language, a label for
// assistive technology, and the document reported on every change.
import { EditorView, basicSetup } from 'codemirror';
import { Compartment, EditorState } from '@codemirror/state';
import { StreamLanguage } from '@codemirror/language';
import { python } from '@codemirror/lang-python';
import { javascript } from '@codemirror/lang-javascript';
import { java } from '@codemirror/lang-java';
import { go } from '@codemirror/lang-go';
import { php } from '@codemirror/lang-php';
import { yaml } from '@codemirror/lang-yaml';
import { ruby } from '@codemirror/legacy-modes/mode/ruby';
import { html } from 'htm/preact';
import { useEffect, useRef } from 'preact/hooks';

const LANGUAGES = {
  python: () => python(),
  nodejs: () => javascript(),
  java: () => java(),
  go: () => go(),
  php: () => php(),
  ruby: () => StreamLanguage.define(ruby),
  yaml: () => yaml(),
};

/** The language of a runtime name (`python3.12` -> python), or `text`. */
export function languageOf(runtime) {
  const m = /^[a-z]+/.exec(runtime ?? '');
  return m && LANGUAGES[m[0]] ? m[0] : 'text';
}

const theme = EditorView.theme({
  '&': { border: '1px solid #6b6b6b', borderRadius: '4px', fontSize: '14px' },
  '&.cm-focused': { outline: '3px solid #1a5fb4', outlineOffset: '1px' },
  '.cm-gutters': { color: '#4a4a4a', backgroundColor: '#f2f2f2' },
  '.cm-scroller': { minHeight: 'var(--editor-height, 12rem)', maxHeight: '32rem' },
});

export function Editor({ id, label, value, language, onChange, readOnly }) {
  const host = useRef(null);
  const view = useRef(null);
  const lang = useRef(new Compartment());
  const changed = useRef(onChange);
  changed.current = onChange;
  // what this editor reported: such a value coming back (maybe late, after newer keystrokes) is
  // an echo, never a reason to replace the document
  const echoes = useRef(new Set());

  useEffect(() => {
    const v = new EditorView({
      parent: host.current,
      state: EditorState.create({
        doc: value ?? '',
        extensions: [
          basicSetup,
          theme,
          lang.current.of(LANGUAGES[language]?.() ?? []),
          EditorState.readOnly.of(!!readOnly),
          EditorView.contentAttributes.of({ 'aria-label': label, id: id ? id + '-content' : '' }),
          EditorView.updateListener.of((u) => {
            if (u.docChanged) {
              const doc = u.state.doc.toString();
              if (echoes.current.size > 100) echoes.current.clear();
              echoes.current.add(doc);
              changed.current?.(doc);
            }
          }),
        ],
      }),
    });
    view.current = v;
    return () => v.destroy();
  }, []);

  useEffect(() => {
    view.current?.dispatch({ effects: lang.current.reconfigure(LANGUAGES[language]?.() ?? []) });
  }, [language]);

  // a value set from outside (a loaded resource, a template) replaces the document
  useEffect(() => {
    const v = view.current;
    if (v && value !== undefined && value !== v.state.doc.toString() && !echoes.current.has(value)) {
      echoes.current.clear();
      v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: value } });
    }
  }, [value]);

  return html`<div class="editor" id=${id} data-language=${language} ref=${host}></div>`;
}

// The ranna playground: one page, no framework. It talks to the server it was loaded from (REST /v1/spec and
// /v1/info, WebSocket /v1/ws), with CodeMirror 5 as the editor and xterm.js as the terminal (both WebJars,
// loaded by index.html as classic scripts before this module runs).
/* global CodeMirror, Terminal, FitAddon */

const OP = { PING: 0, EXEC: 1, KILL: 2, STDIN: 3, SIGNAL: 4, RESIZE: 5 };
const EV = { PONG: 0, ERROR: 1, SPAWN: 2, LOG: 3, STOP: 4 };

/** Characters of output the page keeps in the DOM; older output is cut (and the page says so). */
const OUTPUT_CAP = 200_000;
/** Backoff of the automatic reconnect, in milliseconds. */
const RETRY_MIN = 500;
const RETRY_MAX = 15_000;

const LANGUAGE_KEY = 'ranna.playground.language';
const TOKEN_KEY = 'ranna.playground.token';
const TTY_KEY = 'ranna.playground.tty';

// The spec's `language` (a display name) to a CodeMirror mode; anything else goes through CodeMirror's own
// table of names (mode/meta.js), and plain text if that does not know it either.
const MODES = {
  python: 'python', shell: 'shell', bash: 'shell', sh: 'shell', javascript: 'javascript',
  typescript: 'text/typescript', java: 'text/x-java', c: 'text/x-csrc', cpp: 'text/x-c++src',
  'c++': 'text/x-c++src', csharp: 'text/x-csharp', kotlin: 'text/x-kotlin', scala: 'text/x-scala',
  perl: 'perl', rust: 'rust', go: 'go', ruby: 'ruby', php: 'application/x-httpd-php', lua: 'lua', tcl: 'tcl',
};

const $ = (id) => document.getElementById(id);
const ui = {
  language: $('language'), run: $('run'), share: $('share'), shareNote: $('share-note'),
  tokenBox: $('token-box'), token: $('token'), tokenUse: $('token-use'),
  connection: $('connection'), reconnect: $('reconnect'),
  tabs: $('tabs'), addFile: $('add-file'), editor: $('editor'),
  alerts: $('alerts'), compile: $('compile'), compileOutput: $('compile-output'), compileStatus: $('compile-status'),
  output: $('output'), cutNote: $('cut-note'), summary: $('summary'),
  eof: $('eof'), ctrlC: $('ctrl-c'), tty: $('tty'), ttyChoice: $('tty-choice'), terminal: $('terminal'), line: $('line'),
};

const state = {
  specs: {},          // language key -> spec entry (aliases left out)
  features: [],       // /v1/info features
  language: null,
  drafts: new Map(),  // language key -> { main: CodeMirror.Doc, files: [{name, doc}] }, kept while the page lives
  activeFile: -1,     // -1: the main file, else an index into the draft's files
  ws: null,
  connected: false,
  retryDelay: RETRY_MIN,
  retryTimer: 0,
  nonce: 0,
  settled: 0,         // nonces up to this one belong to runs that have ended
  run: null,          // { nonce, runid, tty, stopping, stage }
  token: sessionStorage.getItem(TOKEN_KEY) || '',
  needsToken: false,
};

// ---------------------------------------------------------------------------------------------- URLs, REST

function apiUrl(path) {
  // Relative to the page, so a server that serves the page under a prefix serves the API under it too.
  return new URL(path, document.baseURI);
}

function wsUrl() {
  const url = apiUrl('v1/ws');
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  if (state.token) url.searchParams.set('token', state.token);
  return url.href;
}

async function getJson(path) {
  const headers = { Accept: 'application/json' };
  if (state.token) headers.Authorization = 'Bearer ' + state.token;
  const response = await fetch(apiUrl(path), { headers, cache: 'no-store' });
  if (response.status === 401) {
    const error = new Error(state.token
      ? 'Unauthorized: the server refused this token. Check it, then Reconnect.'
      : 'This server needs a token: enter it in the Token field.');
    error.unauthorized = true;
    throw error;
  }
  if (!response.ok) {
    let message = response.statusText;
    try { message = (await response.json()).error || message; } catch (ignored) { /* not JSON */ }
    throw new Error(`${path} answered ${response.status}: ${message}`);
  }
  return response.json();
}

// ---------------------------------------------------------------------------------------------- alerts

function alertText(code, message) {
  switch (code) {
    case 408: return `Timed out: ${message}.`;
    case 413:
      return /stdin/.test(message) ? `Input refused: ${message}.` : `Output limit: ${message}; the program was stopped.`;
    case 429: return `Rate limited: ${message}. Wait a moment, then run again.`;
    case 503: return `Server busy: ${message}. Try again shortly.`;
    case 401: return 'Unauthorized: this server needs a token.';
    case 500: return `Server error: ${message}.`;
    default: return `Error ${code}: ${message}.`;
  }
}

function showAlert(text) {
  const p = document.createElement('p');
  p.textContent = text;
  ui.alerts.append(p);
  while (ui.alerts.childElementCount > 5) ui.alerts.firstElementChild.remove();
}

function clearAlerts() {
  ui.alerts.replaceChildren();
}

// ---------------------------------------------------------------------------------------------- output

// Output arrives in many small LOG events; it is queued and written once per animation frame, and the DOM
// keeps at most OUTPUT_CAP characters (the oldest are cut, and the page says how much).
const out = { queue: [], scheduled: false, kept: 0, cut: 0, last: null, lastStream: null };
const ANSI = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[=>78DEHMNOZc]/g;

function plain(text) {
  return text.replace(ANSI, '').replace(/\r\n/g, '\n').replace(/\r/g, '');
}

function queueOutput(stream, text) {
  if (!text) return;
  out.queue.push([stream, text]);
  if (!out.scheduled) {
    out.scheduled = true;
    requestAnimationFrame(flushOutput);
  }
}

function flushOutput() {
  out.scheduled = false;
  const atBottom = ui.output.scrollTop + ui.output.clientHeight >= ui.output.scrollHeight - 4;
  const fragment = document.createDocumentFragment();
  for (const [stream, text] of out.queue) {
    if (out.last && out.lastStream === stream && out.last.isConnected) {
      out.last.append(text);
    } else {
      const span = document.createElement('span');
      span.className = stream;
      span.append(text);
      fragment.append(span);
      out.last = span;
      out.lastStream = stream;
    }
    out.kept += text.length;
  }
  out.queue = [];
  ui.output.append(fragment);
  trimOutput();
  if (atBottom) ui.output.scrollTop = ui.output.scrollHeight;
}

function trimOutput() {
  while (out.kept > OUTPUT_CAP && ui.output.firstChild) {
    const first = ui.output.firstChild;
    const length = first.textContent.length;
    const excess = out.kept - OUTPUT_CAP;
    if (length <= excess && ui.output.childNodes.length > 1) {
      first.remove();
      out.kept -= length;
      out.cut += length;
    } else {
      const cutHere = Math.min(excess, length);
      first.textContent = first.textContent.slice(cutHere);
      out.kept -= cutHere;
      out.cut += cutHere;
      if (first === out.last) out.last = first; // still the same element
    }
  }
  if (out.cut > 0) {
    ui.cutNote.textContent = `(earlier output cut: ${formatCount(out.cut)} characters; the last ${formatCount(out.kept)} are shown)`;
  }
}

function resetOutput() {
  out.queue = [];
  out.kept = 0;
  out.cut = 0;
  out.last = null;
  out.lastStream = null;
  ui.output.replaceChildren();
  ui.cutNote.textContent = '';
  ui.compileOutput.replaceChildren();
  ui.compileOutput.hidden = true;
  ui.compileStatus.textContent = '';
  ui.compile.hidden = true;
  ui.summary.textContent = '';
  ui.summary.className = 'summary';
}

function appendCompile(stream, text) {
  ui.compileOutput.hidden = false;
  const span = document.createElement('span');
  span.className = stream;
  span.textContent = text;
  ui.compileOutput.append(span);
}

function formatCount(n) {
  return n.toLocaleString('en');
}

function formatBytes(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function summarize(stop) {
  const parts = [];
  if (stop.stage === 'compile') parts.push('compilation failed');
  if (stop.exitcode !== undefined && stop.exitcode !== null) parts.push(`exit code ${stop.exitcode}`);
  if (stop.signal) parts.push(`signal ${stop.signal}`);
  if (stop.timedout) parts.push('timed out');
  if (stop.truncated) parts.push('output truncated');
  if (stop.oomkilled) parts.push('out of memory');
  if (stop.killed) parts.push('stopped');
  if (stop.compiletimems !== undefined) parts.push(`compile ${stop.compiletimems} ms`);
  parts.push(`time ${stop.exectimems} ms`);
  if (stop.usage) {
    parts.push(`CPU ${stop.usage.cputimems} ms`);
    parts.push(`memory ${formatBytes(stop.usage.memorybytes)}`);
  }
  ui.summary.textContent = parts.join(' · ');
  ui.summary.className = 'summary ' + (stop.exitcode === 0 && !stop.signal && !stop.timedout ? 'ok' : 'failed');
}

// ---------------------------------------------------------------------------------------------- terminal

// With the tty feature every run is interactive on a pseudo-terminal, shown in xterm.js (whose input
// textarea is the page's "Input"); without it a plain line input sends standard input.
const term = { xterm: null, fit: null, queue: '', scheduled: false, lineDirty: false };

function setUpInput() {
  const canTty = state.features.includes('tty') && typeof Terminal === 'function';
  ui.ttyChoice.hidden = !canTty;
  if (canTty && !term.xterm) {
    term.xterm = new Terminal({
      convertEol: false, cursorBlink: true, scrollback: 2000, fontSize: 13,
      fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace',
      theme: { background: '#111827', foreground: '#e5e7eb' },
    });
    if (typeof FitAddon === 'object' && FitAddon.FitAddon) {
      term.fit = new FitAddon.FitAddon();
      term.xterm.loadAddon(term.fit);
    }
    term.xterm.open(ui.terminal);
    term.xterm.onData((data) => {
      if (!sendStdin(data, false)) return;
      // Whether the terminal's current line holds typed text, for EOF (see sendEof).
      const end = Math.max(data.lastIndexOf('\r'), data.lastIndexOf('\n'), data.lastIndexOf('\x03'), data.lastIndexOf('\x04'));
      if (end >= 0) term.lineDirty = false;
      if (data.length > end + 1) term.lineDirty = true;
    });
    term.xterm.onResize(({ cols, rows }) => {
      if (state.run && state.run.runid && state.run.tty) send(OP.RESIZE, { runid: state.run.runid, cols, rows });
    });
    new ResizeObserver(() => fitTerminal()).observe(ui.terminal);
  }
  ui.tty.checked = canTty && localStorage.getItem(TTY_KEY) !== 'off';
  applyTtyChoice();
}

// Exactly one element is the page's "Input": the terminal's own textarea with tty, else the line input.
function applyTtyChoice() {
  const tty = ttyWanted();
  ui.terminal.hidden = !tty;
  ui.line.hidden = tty;
  ui.line.disabled = !state.features.includes('stdin');
  if (tty) {
    ui.line.removeAttribute('aria-label');
    term.xterm.textarea.setAttribute('aria-label', 'Input');
    fitTerminal();
  } else {
    ui.line.setAttribute('aria-label', 'Input');
    if (term.xterm) term.xterm.textarea.setAttribute('aria-label', 'Terminal');
  }
}

function ttyWanted() {
  return !!term.xterm && ui.tty.checked;
}

ui.tty.addEventListener('change', () => {
  localStorage.setItem(TTY_KEY, ui.tty.checked ? 'on' : 'off');
  applyTtyChoice();
});

function fitTerminal() {
  if (term.fit && ui.terminal.offsetParent !== null) {
    try { term.fit.fit(); } catch (ignored) { /* not laid out yet */ }
  }
}

function queueTerminal(text) {
  if (!term.xterm) return;
  term.queue += text;
  if (!term.scheduled) {
    term.scheduled = true;
    requestAnimationFrame(() => {
      term.scheduled = false;
      const chunk = term.queue;
      term.queue = '';
      term.xterm.write(chunk);
    });
  }
}

ui.line.addEventListener('keydown', (event) => {
  if (event.key === 'Enter') {
    event.preventDefault();
    const text = ui.line.value + '\n';
    ui.line.value = '';
    if (sendStdin(text, false)) queueOutput('stdin', text);
  } else if (event.key === 'd' && event.ctrlKey) {
    event.preventDefault();
    sendEof();
  } else if (event.key === 'c' && event.ctrlKey && ui.line.selectionStart === ui.line.selectionEnd) {
    event.preventDefault();
    sendInterrupt();
  }
});

function sendStdin(data, eof) {
  const run = state.run;
  if (!run || !run.runid || !run.interactive) return false;
  return send(OP.STDIN, { runid: run.runid, data, eof });
}

function sendEof() {
  const run = state.run;
  // On a terminal, EOF is a typed Ctrl-D, which ends input only at the start of a line; after typed text
  // it only hands that text over. So, as in a shell, a pending line gets one Ctrl-D first.
  if (run && run.tty && term.lineDirty) sendStdin('\x04', false);
  term.lineDirty = false;
  // Likewise text typed into the line input and not yet sent goes first, without a newline.
  if (run && !run.tty && ui.line.value) {
    const text = ui.line.value;
    ui.line.value = '';
    if (sendStdin(text, false)) queueOutput('stdin', text);
  }
  sendStdin('', true);
}

function sendInterrupt() {
  const run = state.run;
  if (run && run.runid) send(OP.SIGNAL, { runid: run.runid, signal: 'SIGINT' });
}

ui.eof.addEventListener('click', sendEof);
ui.ctrlC.addEventListener('click', sendInterrupt);

// ---------------------------------------------------------------------------------------------- editor

const editor = CodeMirror(ui.editor, {
  value: '', lineNumbers: true, indentUnit: 4, tabSize: 4, matchBrackets: true,
  inputStyle: 'contenteditable', screenReaderLabel: 'Code', autofocus: false,
  extraKeys: { 'Ctrl-Enter': () => runOrStop(), 'Cmd-Enter': () => runOrStop() },
});

function modeFor(language) {
  const name = String(language || '').toLowerCase();
  if (MODES[name]) return MODES[name];
  const found = CodeMirror.findModeByName && CodeMirror.findModeByName(name);
  return found ? found.mime || found.mode : 'text/plain';
}

function draftFor(key) {
  let draft = state.drafts.get(key);
  if (!draft) {
    const spec = state.specs[key] || {};
    draft = { main: CodeMirror.Doc(spec.example || '', modeFor(spec.language)), files: [] };
    state.drafts.set(key, draft);
  }
  return draft;
}

function selectFile(index) {
  const draft = draftFor(state.language);
  state.activeFile = index;
  editor.swapDoc(index < 0 ? draft.main : draft.files[index].doc);
  renderTabs();
}

function renderTabs() {
  const draft = draftFor(state.language);
  const spec = state.specs[state.language] || {};
  const tabs = [];
  const main = document.createElement('button');
  main.type = 'button';
  main.className = 'tab';
  main.setAttribute('role', 'tab');
  main.setAttribute('aria-selected', String(state.activeFile < 0));
  main.textContent = spec.filename || 'main';
  main.addEventListener('click', () => selectFile(-1));
  tabs.push(main);
  draft.files.forEach((file, index) => {
    const tab = document.createElement('span');
    tab.className = 'tab file-tab';
    tab.setAttribute('role', 'tab');
    tab.setAttribute('aria-selected', String(state.activeFile === index));
    const name = document.createElement('input');
    name.type = 'text';
    name.value = file.name;
    name.size = Math.max(6, file.name.length);
    name.spellcheck = false;
    name.setAttribute('aria-label', `File name ${index + 1}`);
    name.addEventListener('focus', () => { if (state.activeFile !== index) { state.activeFile = index; editor.swapDoc(file.doc); markSelected(); } });
    name.addEventListener('input', () => { file.name = name.value; name.size = Math.max(6, name.value.length); });
    const remove = document.createElement('button');
    remove.type = 'button';
    remove.className = 'remove';
    remove.textContent = '×';
    remove.setAttribute('aria-label', `Remove ${file.name}`);
    remove.addEventListener('click', () => {
      draft.files.splice(index, 1);
      selectFile(-1);
    });
    tab.append(name, remove);
    tabs.push(tab);
  });
  ui.tabs.replaceChildren(...tabs);
  ui.addFile.disabled = !state.features.includes('files');
  ui.addFile.title = ui.addFile.disabled ? 'This server does not take extra files' : 'Add a file beside the main one';
}

function markSelected() {
  [...ui.tabs.children].forEach((tab, i) => tab.setAttribute('aria-selected', String(i - 1 === state.activeFile)));
}

ui.addFile.addEventListener('click', () => {
  const draft = draftFor(state.language);
  const spec = state.specs[state.language] || {};
  const dot = (spec.filename || '').lastIndexOf('.');
  const ext = dot > 0 ? spec.filename.slice(dot) : '.txt';
  let n = draft.files.length + 1;
  const taken = new Set(draft.files.map((f) => f.name));
  while (taken.has(`file${n}${ext}`)) n++;
  draft.files.push({ name: `file${n}${ext}`, doc: CodeMirror.Doc('', modeFor(spec.language)) });
  selectFile(draft.files.length - 1);
  const input = ui.tabs.querySelectorAll('input')[draft.files.length - 1];
  if (input) { input.focus(); input.select(); }
});

// ---------------------------------------------------------------------------------------------- languages

function chooseLanguage(key) {
  if (!state.specs[key]) key = Object.keys(state.specs)[0];
  state.language = key;
  ui.language.value = key;
  localStorage.setItem(LANGUAGE_KEY, key);
  state.activeFile = -1;
  editor.swapDoc(draftFor(key).main);
  editor.setOption('mode', modeFor(state.specs[key].language));
  renderTabs();
}

ui.language.addEventListener('change', () => chooseLanguage(ui.language.value));

async function loadServer() {
  try {
    const info = await getJson('v1/info'); // first alone: without a token, one refused request, not two
    const specs = await getJson('v1/spec');
    state.needsToken = state.needsToken || !!state.token;
    ui.tokenBox.hidden = !state.needsToken;
    state.features = Array.isArray(info.features) ? info.features : [];
    state.specs = {};
    for (const [key, spec] of Object.entries(specs)) {
      if (spec && !spec.use) state.specs[key] = spec;
    }
    ui.language.replaceChildren(...Object.keys(state.specs).map((key) => {
      const option = document.createElement('option');
      option.value = key;
      option.textContent = key;
      return option;
    }));
    ui.language.disabled = false;
    setUpInput();
    // A shared link is opened once, on the first load: a later reload of the languages (a new token) keeps
    // what the user has typed since.
    const shared = state.sharedOpened ? null : readShared();
    state.sharedOpened = true;
    chooseLanguage(shared && state.specs[shared.language] ? shared.language : localStorage.getItem(LANGUAGE_KEY));
    if (shared) restoreShared(shared);
    connect();
  } catch (error) {
    if (error.unauthorized) {
      state.needsToken = true;
      ui.tokenBox.hidden = false;
      setConnection('unauthorized', 'Disconnected: this server needs a token');
      ui.token.focus();
    } else {
      setConnection('disconnected', 'Disconnected: the server did not answer');
      ui.reconnect.hidden = false;
      scheduleRetry(loadServer);
    }
    showAlert(error.message);
  }
}

function useToken() {
  state.token = ui.token.value.trim();
  if (state.token) sessionStorage.setItem(TOKEN_KEY, state.token);
  else sessionStorage.removeItem(TOKEN_KEY);
  clearAlerts();
  disconnect();
  loadServer();
}

ui.tokenBox.addEventListener('submit', (event) => {
  event.preventDefault(); // nothing is posted anywhere (form-action 'none'): the token stays in this tab
  useToken();
});
ui.token.value = state.token;

// ---------------------------------------------------------------------------------------------- share

function toBase64Url(text) {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text) {
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
}

function readShared() {
  const match = /^#code=([A-Za-z0-9_-]+)$/.exec(location.hash);
  if (!match) return null;
  try {
    const shared = JSON.parse(fromBase64Url(match[1]));
    if (typeof shared.language !== 'string' || typeof shared.code !== 'string') throw new Error('incomplete');
    if (!state.specs[shared.language]) showAlert(`The shared language "${shared.language}" is not on this server.`);
    return shared;
  } catch (error) {
    showAlert('The shared link is damaged and could not be opened.');
    return null;
  }
}

function restoreShared(shared) {
  const draft = draftFor(state.language);
  const mode = modeFor(state.specs[state.language].language);
  draft.main.setValue(shared.code);
  draft.files = (Array.isArray(shared.files) ? shared.files : [])
    .filter((f) => f && typeof f.name === 'string' && typeof f.content === 'string')
    .map((f) => ({ name: f.name, doc: CodeMirror.Doc(f.content, mode) }));
  selectFile(-1);
}

ui.share.addEventListener('click', async () => {
  const draft = draftFor(state.language);
  const shared = { language: state.language, code: draft.main.getValue() };
  if (draft.files.length) shared.files = draft.files.map((f) => ({ name: f.name, content: f.doc.getValue() }));
  const url = new URL(location.href);
  url.hash = 'code=' + toBase64Url(JSON.stringify(shared));
  history.replaceState(null, '', url.href);
  let note = 'Link in the address bar';
  try {
    await navigator.clipboard.writeText(url.href);
    note = 'Link copied';
  } catch (ignored) { /* no clipboard permission: the address bar has it */ }
  ui.shareNote.textContent = note;
});

window.addEventListener('hashchange', () => {
  const shared = readShared();
  if (shared && state.specs[shared.language]) {
    chooseLanguage(shared.language);
    restoreShared(shared);
  }
});

// ---------------------------------------------------------------------------------------------- connection

function setConnection(name, text) {
  document.body.dataset.connection = name;
  ui.connection.textContent = text;
  ui.reconnect.hidden = name !== 'disconnected' && name !== 'unauthorized';
}

function connect() {
  clearTimeout(state.retryTimer);
  if (state.ws) return;
  // While retrying, the page stays visibly disconnected until a connection is actually open.
  if (document.body.dataset.connection === 'disconnected') ui.connection.textContent = 'Disconnected: reconnecting…';
  else setConnection('connecting', 'Connecting…');
  const ws = new WebSocket(wsUrl());
  state.ws = ws;
  ws.addEventListener('open', () => {
    state.connected = true;
    state.retryDelay = RETRY_MIN;
    setConnection('connected', 'Connected');
  });
  ws.addEventListener('message', (event) => {
    let message;
    try { message = JSON.parse(event.data); } catch (ignored) { return; }
    onEvent(message);
  });
  ws.addEventListener('close', () => {
    if (state.ws !== ws) return;
    state.ws = null;
    state.connected = false;
    if (state.run) {
      endRun();
      showAlert('Disconnected: the connection dropped during the run, so the server ended it.');
    }
    setConnection('disconnected', `Disconnected: reconnecting in ${Math.round(state.retryDelay / 1000) || 1} s`);
    scheduleRetry(connect);
  });
}

function disconnect() {
  const ws = state.ws;
  state.ws = null;
  state.connected = false;
  if (ws) ws.close();
  if (state.run) endRun();
}

function scheduleRetry(action) {
  clearTimeout(state.retryTimer);
  const delay = state.retryDelay;
  state.retryDelay = Math.min(RETRY_MAX, state.retryDelay * 2);
  state.retryTimer = setTimeout(action, delay);
}

ui.reconnect.addEventListener('click', () => {
  state.retryDelay = RETRY_MIN;
  clearTimeout(state.retryTimer);
  if (!ui.tokenBox.hidden && ui.token.value.trim() !== state.token) {
    useToken(); // a token typed but not yet used: reconnecting means with it
  } else if (Object.keys(state.specs).length === 0) {
    loadServer();
  } else {
    connect();
  }
});

function send(op, args) {
  if (!state.ws || state.ws.readyState !== WebSocket.OPEN) {
    showAlert('Disconnected: not connected to the server. Use Reconnect, or wait for the automatic retry.');
    return false;
  }
  const nonce = ++state.nonce;
  state.ws.send(JSON.stringify({ op, nonce, args }));
  return nonce;
}

// ---------------------------------------------------------------------------------------------- runs

function runOrStop() {
  if (state.run) stop();
  else run();
}

function run() {
  if (state.run || !state.language) return;
  const draft = draftFor(state.language);
  const code = draft.main.getValue();
  const interactive = state.features.includes('stdin');
  const tty = interactive && ttyWanted();
  const args = { language: state.language, code };
  if (interactive) args.interactive = true;
  if (tty) args.tty = true;
  if (draft.files.length && state.features.includes('files')) {
    args.files = draft.files.map((f) => ({ name: f.name, content: f.doc.getValue() }));
  }
  clearAlerts();
  resetOutput();
  term.lineDirty = false;
  if (tty) {
    term.xterm.reset();
    fitTerminal();
  }
  const nonce = send(OP.EXEC, args);
  if (nonce === false) return;
  state.run = { nonce, runid: null, interactive, tty, stopping: false };
  if (state.specs[state.language].compile) {
    ui.compile.hidden = false;
    ui.compileStatus.textContent = 'Compiling…';
  }
  setRunning(true);
  ui.summary.textContent = 'Running…';
  if (tty) term.xterm.focus();
  else if (interactive) ui.line.focus();
}

function stop() {
  const run = state.run;
  if (!run) return;
  run.stopping = true;
  if (run.runid) send(OP.KILL, { runid: run.runid });
  ui.summary.textContent = 'Stopping…';
}

function setRunning(running) {
  document.body.dataset.run = running ? 'running' : 'idle';
  ui.run.textContent = running ? 'Stop' : 'Run';
  ui.run.classList.toggle('danger', running);
  ui.eof.disabled = !running || !state.features.includes('stdin');
  ui.ctrlC.disabled = !running || !state.features.includes('signals');
  ui.tty.disabled = running;
}

function endRun() {
  state.run = null;
  state.settled = state.nonce;
  setRunning(false);
}

ui.run.addEventListener('click', runOrStop);

document.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && (event.ctrlKey || event.metaKey) && !event.defaultPrevented
      && !ui.editor.contains(event.target) && !ui.terminal.contains(event.target)) {
    event.preventDefault();
    runOrStop();
  }
});

function onEvent(message) {
  const run = state.run;
  const data = message.data || {};
  if (message.code === EV.ERROR) {
    // Answers to operations of a run that has ended (a KILL racing the STOP) say nothing new.
    if (typeof message.nonce === 'number' && message.nonce <= state.settled) return;
    showAlert(alertText(data.code, data.message || 'unknown error'));
    // An ERROR for the EXEC before any SPAWN ends the run attempt: nothing else follows for it.
    if (run && message.nonce === run.nonce && !run.runid) {
      ui.summary.textContent = '';
      endRun();
    }
    return;
  }
  if (!run || message.nonce !== run.nonce) return;
  switch (message.code) {
    case EV.SPAWN:
      run.runid = data.runid;
      if (run.stopping) send(OP.KILL, { runid: run.runid });
      if (run.tty && term.xterm) send(OP.RESIZE, { runid: run.runid, cols: term.xterm.cols, rows: term.xterm.rows });
      break;
    case EV.LOG:
      if (data.stage === 'compile') {
        appendCompile(data.stdout !== undefined ? 'stdout' : 'stderr', plain(data.stdout || data.stderr || ''));
      } else if (data.stdout !== undefined) {
        if (data.stage === 'run' && ui.compileStatus.textContent === 'Compiling…') ui.compileStatus.textContent = 'Compiled';
        queueOutput('stdout', plain(data.stdout));
        if (run.tty) queueTerminal(data.stdout);
      } else if (data.stderr !== undefined) {
        queueOutput('stderr', plain(data.stderr));
        if (run.tty) queueTerminal(data.stderr);
      }
      break;
    case EV.STOP:
      if (data.compiletimems !== undefined) {
        ui.compile.hidden = false;
        ui.compileStatus.textContent = data.stage === 'compile'
          ? `Compilation failed after ${data.compiletimems} ms`
          : `Compiled in ${data.compiletimems} ms`;
      }
      summarize(data);
      endRun();
      break;
    default:
      break;
  }
}

loadServer();

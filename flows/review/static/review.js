// The review page: asks the server for one page of rows at a time and builds the DOM with textContent only,
// so nothing scraped is ever parsed as markup.
'use strict';

const state = { view: 'clusters', page: 1, total: 0, paragraph: '' };
const byId = (id) => document.getElementById(id);
const LISTING_COLUMNS = {
  removed: [['text', 'line'], ['reasons', 'reason'], ['times', 'times'], ['articles', 'articles']],
  corrections: [['original', 'word'], ['corrected', 'corrected to'], ['rule', 'rule'], ['times', 'times'],
    ['articles', 'articles'], ['context', 'context']],
  boilerplate: [['source', 'source'], ['line', 'line'], ['articles', 'articles'], ['source_articles', 'of its articles']],
  rejected: [['source_path', 'input'], ['reason', 'reason']],
};
const COMMAND_HEADINGS = { removed: 'keep it in the text', corrections: 'the word was right' };

function element(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) { node.textContent = String(text); }
  if (className) { node.className = className; }
  return node;
}

function copyable(command) {
  const wrapper = element('span', null, 'command');
  const code = element('code', command);
  const button = element('button', 'copy', 'copy');
  button.type = 'button';
  wrapper.append(code, button);
  return wrapper;
}

function perPage() { return Number(byId('per-page').value); }
function lastPage() { return Math.max(1, Math.ceil(state.total / perPage())); }

function parameters() {
  const query = new URLSearchParams({ page: state.page, per_page: perPage(), q: byId('search').value });
  if (state.view === 'clusters') {
    const fields = { source: 'source', match: 'match', score_min: 'score-min', score_max: 'score-max',
      size_min: 'size-min', size_max: 'size-max', sort: 'sort' };
    Object.entries(fields).forEach(([name, id]) => query.set(name, byId(id).value));
    query.set('paragraph', state.paragraph);
  }
  return query;
}

let requestNumber = 0;
async function load() {
  const mine = ++requestNumber;
  byId('status').textContent = 'loading…';
  const response = await fetch('/api/' + state.view + '?' + parameters().toString());
  const payload = await response.json();
  if (mine !== requestNumber) { return; }
  if (!response.ok) { byId('status').textContent = payload.error; return; }
  state.total = payload.total;
  const results = byId('results');
  results.replaceChildren();
  if (state.view === 'clusters') {
    payload.clusters.forEach((cluster) => results.append(clusterSection(cluster)));
  } else {
    results.append(listingTable(state.view, payload.rows));
  }
  const first = payload.total ? (state.page - 1) * perPage() + 1 : 0;
  const last = Math.min(payload.total, state.page * perPage());
  byId('status').textContent = `${first.toLocaleString()}–${last.toLocaleString()} of ${payload.total.toLocaleString()}`;
  document.querySelectorAll('.pager .position').forEach((node) => {
    node.textContent = `page ${state.page.toLocaleString()} of ${lastPage().toLocaleString()}`;
  });
  document.querySelectorAll('.pager .first, .pager .previous').forEach((button) => { button.disabled = state.page <= 1; });
  document.querySelectorAll('.pager .next, .pager .last').forEach((button) => { button.disabled = state.page >= lastPage(); });
  document.body.dataset.loaded = String(mine);
}

function describe(paragraph) {
  const date = paragraph.published ? String(paragraph.published).slice(0, 10) : 'no date';
  return `${paragraph.source || 'unknown source'} · ${paragraph.title || '(untitled)'} · ${date} · ${paragraph.id}`;
}

function containedLink(paragraph) {
  if (!paragraph.contained_in) { return null; }
  const link = element('a', `contained in ${paragraph.contained_in}`, 'contained-in');
  link.href = '#';
  link.dataset.paragraph = paragraph.contained_in;
  return link;
}

function clusterSection(cluster) {
  const section = element('section', null, 'cluster');
  section.id = 'cluster-' + cluster.cluster_id;
  Object.assign(section.dataset, { size: cluster.size, copiedWords: cluster.copied_words, outlets: cluster.outlets,
    latest: cluster.latest || '', score: cluster.score });
  const latest = cluster.latest ? String(cluster.latest).slice(0, 10) : 'no date';
  section.append(element('h3', `${cluster.size} copies · ${cluster.copied_words.toLocaleString()} copied words · ` +
    `${cluster.outlets} outlets · latest ${latest} · mean Jaccard ${Number(cluster.score).toFixed(3)}`));
  const canonical = element('div', null, 'canonical');
  canonical.append(element('span', 'canonical', 'tag'), element('span', describe(cluster.canonical), 'meta'));
  const link = containedLink(cluster.canonical);
  if (link) { canonical.append(' ', link); }
  canonical.append(element('p', cluster.canonical.text, 'text'));
  section.append(canonical);
  const members = element('ol', null, 'members');
  cluster.members.forEach((member) => members.append(memberItem(member)));
  section.append(members);
  if (cluster.size - 1 > cluster.members.length) {
    const more = element('button', null, 'more-members');
    more.type = 'button';
    const label = () => `show more copies (${(cluster.size - 1 - members.children.length).toLocaleString()} not shown)`;
    more.textContent = label();
    more.addEventListener('click', async () => {
      const query = new URLSearchParams({ cluster: cluster.cluster_id, after: members.children.length, per_page: 50 });
      const payload = await (await fetch('/api/members?' + query.toString())).json();
      payload.members.forEach((member) => members.append(memberItem(member)));
      more.textContent = label();
      more.hidden = members.children.length >= cluster.size - 1;
    });
    section.append(more);
  }
  return section;
}

// A long run of words a copy shares with the canonical paragraph (shown just above) is folded to its ends and a
// button that unfolds it, so that what differs stands out.
const SAME_RUN_FOLDED = 30;
const SAME_RUN_ENDS = 8;

function sameWords(text) {
  const words = text.split(' ');
  if (words.length <= SAME_RUN_FOLDED) { return [text]; }
  const hidden = words.slice(SAME_RUN_ENDS, -SAME_RUN_ENDS).join(' ');
  const unfold = element('button', `… ${(words.length - 2 * SAME_RUN_ENDS).toLocaleString()} words as above …`, 'unfold');
  unfold.type = 'button';
  unfold.addEventListener('click', () => unfold.replaceWith(hidden));
  return [words.slice(0, SAME_RUN_ENDS).join(' ') + ' ', unfold, ' ' + words.slice(-SAME_RUN_ENDS).join(' ')];
}

function memberItem(member) {
  const item = element('li', null, 'member');
  Object.assign(item.dataset, { match: member.match, id: member.id });
  item.append(element('span', member.match.replace('_', ' '), 'tag'), element('span', describe(member), 'meta'),
    element('span', ` · Jaccard ${Number(member.jaccard).toFixed(3)} · contained ${Math.round(member.containment * 100)}%`, 'meta'));
  const link = containedLink(member);
  if (link) { item.append(' ', link); }
  const diff = element('p', null, 'text diff');
  member.diff.forEach(([kind, text], index) => {
    if (index) { diff.append(' '); }
    if (kind === 'del') { diff.append(element('del', text)); }
    else if (kind === 'ins') { diff.append(element('ins', text)); }
    else if (text === '…') { diff.append(element('span', text, 'ellipsis')); }
    else { diff.append(...sameWords(text)); }
  });
  item.append(diff);
  const review = element('div', null, 'review');
  member.commands.forEach((command) => {
    const row = element('div', command.says + ': ');
    row.append(copyable(command.command));
    review.append(row);
  });
  item.append(review);
  return item;
}

function listingTable(view, rows) {
  const table = element('table');
  table.id = 'listing-' + view;
  const head = element('tr');
  LISTING_COLUMNS[view].forEach(([, heading]) => head.append(element('th', heading)));
  if (COMMAND_HEADINGS[view]) { head.append(element('th', COMMAND_HEADINGS[view])); }
  table.append(head);
  rows.forEach((row) => {
    const line = element('tr');
    LISTING_COLUMNS[view].forEach(([name]) => {
      const value = row[name];
      const cell = element('td', Array.isArray(value) ? value.join(', ') : value);
      if (typeof value === 'number') { cell.className = 'number'; }
      line.append(cell);
    });
    if (COMMAND_HEADINGS[view]) {
      const cell = element('td');
      cell.append(row.command ? copyable(row.command) : element('span', "lifted into the article's fields", 'muted'));
      line.append(cell);
    }
    table.append(line);
  });
  return table;
}

function goTo(page) {
  state.page = Math.min(Math.max(1, page), lastPage());
  load();
}

function restart() { state.page = 1; load(); }

function showView(view) {
  state.view = view;
  document.querySelectorAll('.tab').forEach((tab) => tab.setAttribute('aria-pressed', String(tab.dataset.view === view)));
  document.querySelectorAll('.cluster-only').forEach((node) => { node.hidden = view !== 'clusters'; });
  byId('paragraph-filter').hidden = view !== 'clusters' || !state.paragraph;
  restart();
}

function showParagraph(id) {
  state.paragraph = id;
  byId('paragraph-id').textContent = id;
  byId('paragraph-filter').hidden = !id;
  restart();
}

function fillSelect(select, values) {
  values.forEach((value) => {
    const option = element('option', value.replace('_', ' '));
    option.value = value;
    select.append(option);
  });
}

async function start() {
  listen();
  load();
  const facets = await (await fetch('/api/facets')).json();
  byId('out-dir').textContent = facets.out_dir;
  byId('cluster-count').textContent = facets.clusters.toLocaleString();
  fillSelect(byId('source'), facets.sources);
  fillSelect(byId('match'), facets.matches);
  document.querySelectorAll('.tab').forEach((tab) => {
    tab.hidden = tab.dataset.view !== 'clusters' && !facets.listings.includes(tab.dataset.view);
  });
}

/** Every control's handler, attached before the first request so no early input is lost. */
function listen() {
  document.querySelectorAll('.tab').forEach((tab) => {
    tab.addEventListener('click', () => showView(tab.dataset.view));
  });
  let typing = null;
  byId('search').addEventListener('input', () => { clearTimeout(typing); typing = setTimeout(restart, 250); });
  byId('search').addEventListener('keydown', (event) => {
    if (event.key === 'Enter') { event.preventDefault(); clearTimeout(typing); restart(); }
  });
  ['source', 'match', 'sort', 'per-page', 'score-min', 'score-max', 'size-min', 'size-max'].forEach((id) => {
    byId(id).addEventListener('change', restart);
  });
  byId('controls').addEventListener('submit', (event) => { event.preventDefault(); clearTimeout(typing); restart(); });
  byId('clear-filters').addEventListener('click', () => {
    byId('controls').reset();
    state.paragraph = '';
    byId('paragraph-filter').hidden = true;
    restart();
  });
  byId('paragraph-clear').addEventListener('click', () => showParagraph(''));
  document.querySelectorAll('.pager').forEach((pager) => {
    pager.querySelector('.first').addEventListener('click', () => goTo(1));
    pager.querySelector('.previous').addEventListener('click', () => goTo(state.page - 1));
    pager.querySelector('.next').addEventListener('click', () => goTo(state.page + 1));
    pager.querySelector('.last').addEventListener('click', () => goTo(lastPage()));
    const jump = pager.querySelector('.goto');
    if (jump) { jump.addEventListener('change', () => goTo(Number(jump.value) || 1)); }
  });
  document.addEventListener('click', (event) => {
    const link = event.target.closest('a.contained-in');
    if (link) { event.preventDefault(); showParagraph(link.dataset.paragraph); return; }
    const button = event.target.closest('button.copy');
    if (!button) { return; }
    const code = button.parentNode.querySelector('code');
    const select = () => { window.getSelection().selectAllChildren(code); button.textContent = 'selected: copy it'; };
    if (!navigator.clipboard) { select(); return; }
    navigator.clipboard.writeText(code.textContent).then(() => { button.textContent = 'copied'; }, select);
  });
}

start();

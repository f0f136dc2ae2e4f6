// The search page. Everything shown from the archive is set as text (textContent and
// text nodes), never parsed as HTML: an article's body is data, whatever it holds.
"use strict";

const $ = (id) => document.getElementById(id);
const form = $("search");
const fields = ["q", "mode", "since", "until", "source"];
const STOPWORDS = new Set("a an and are as at be but by for from has have he her his in into is it its of on or she that the their they this to was were what when where which who will with".split(" "));

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (name === "text") node.textContent = value;
    else node.setAttribute(name, value);
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

// Query words cut to a crude stem, as the command line highlights them.
function highlighter(query) {
  const stems = [...new Set((query.toLowerCase().match(/[\p{L}\p{N}]+/gu) || [])
    .filter((w) => w.length > 1 && !STOPWORDS.has(w))
    .map((w) => (w.length > 4 ? w.slice(0, Math.max(4, w.length - 2)) : w)))]
    .sort((a, b) => b.length - a.length)
    .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  // A hyphenated word is marked whole ("build-up" for "buildup").
  return stems.length ? new RegExp(`(?<![\\p{L}\\p{N}])(${stems.join("|")})[\\p{L}\\p{N}]*(?:-[\\p{L}\\p{N}]+)*`, "giu") : null;
}

function marked(text, pattern) {
  const span = el("span");
  if (!pattern) { span.textContent = text; return span; }
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    span.append(document.createTextNode(text.slice(last, match.index)));
    span.append(el("mark", { text: match[0] }));
    last = match.index + match[0].length;
  }
  span.append(document.createTextNode(text.slice(last)));
  return span;
}

function safeUrl(url) {
  try {
    const parsed = new URL(url);
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
  } catch { return null; }
}

function meta(item) {
  return [item.date && item.date.slice(0, 10), item.source, item.author].filter(Boolean).join(" · ");
}

function state() {
  const params = new URLSearchParams(location.search);
  return Object.fromEntries([...fields, "article", "story"].map((f) => [f, params.get(f) || ""]));
}

function fillForm(s) {
  for (const f of fields) $(f).value = s[f] || (f === "mode" ? "hybrid" : "");
}

function urlFor(s) {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(s)) if (value && !(name === "mode" && value === "hybrid")) params.set(name, value);
  const text = params.toString();
  return text ? `/?${text}` : "/";
}

function setStatus(text, isError = false) {
  $("status").textContent = text;
  $("status").classList.toggle("error", isError);
}

async function api(path) {
  const response = await fetch(path, { headers: { Accept: "application/json" } });
  const body = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
  if (!response.ok) throw new Error(body.error || `HTTP ${response.status}`);
  return body;
}

function resultItem(hit, pattern, s) {
  const link = el("a", { href: urlFor({ ...s, article: String(hit.id) }), "data-article": String(hit.id) });
  link.textContent = hit.title || "(untitled)";
  const item = el("li", {}, el("h2", {}, link), el("p", { class: "meta", text: meta(hit) }));
  for (const paragraph of hit.paragraphs) item.append(el("p", { class: "snippet" }, marked(paragraph.text, pattern)));
  if (hit.also_published_by.length) {
    const names = hit.also_published_by.map((c) => [c.source || c.title || c.path, c.date && c.date.slice(0, 10)].filter(Boolean).join(", "));
    item.append(el("p", { class: "copies", text: `Also published by: ${names.join("; ")}` }));
  }
  if (hit.same_story.length) {
    const list = el("ul", { class: "same-story", "aria-label": "Also on this story" });
    for (const other of hit.same_story) {
      const link = el("a", { href: urlFor({ ...s, article: String(other.id) }), text: other.title || "(untitled)" });
      list.append(el("li", {}, link, el("span", { class: "meta", text: ` · ${meta(other)}` })));
    }
    item.append(list);
  }
  if (hit.story_size > 1) {
    item.append(el("p", { class: "story" }, el("a", {
      href: urlFor({ ...s, story: String(hit.id) }), "data-story": String(hit.id),
      text: `Story of ${hit.story_size} articles`,
    })));
  }
  return item;
}

function showView() {
  $("results").hidden = true;
  const view = $("article");
  view.hidden = false;
  view.replaceChildren();
  setStatus("Loading…");
  return view;
}

async function showStory(s) {
  const view = showView();
  try {
    const story = await api(`/api/stories/${encodeURIComponent(s.story)}`);
    const back = el("a", { class: "back", href: urlFor({ ...s, story: "" }), text: s.q ? "← Back to results" : "← New search" });
    const span = story.first_date ? `${story.first_date} to ${story.last_date}` : "undated";
    view.append(back, el("h1", { text: `Story: ${story.size} article${story.size === 1 ? "" : "s"}` }),
      el("p", { class: "meta", text: `${span} · ${story.sources.join(", ")}` }));
    const list = el("ol", { class: "story-list" });
    for (const a of story.articles) {
      const when = a.first_report ? "First report" : (a.day === null ? "" : `Day ${a.day}`);
      const link = el("a", { href: urlFor({ ...s, story: "", article: String(a.id) }), text: a.title || "(untitled)" });
      const item = el("li", {}, el("p", { class: "when", text: when }), el("h2", {}, link), el("p", { class: "meta", text: meta(a) }));
      if (a.lead) item.append(el("p", { class: "snippet", text: a.lead }));
      list.append(item);
    }
    view.append(list);
    setStatus("");
    back.focus();
  } catch (error) {
    setStatus(error.message, true);
  }
}

async function showSimilar(view, s, id) {
  try {
    const found = await api(`/api/similar/${encodeURIComponent(id)}?k=5`);
    if (!found.length) return;
    const list = el("ul", { class: "similar" });
    for (const item of found) {
      const link = el("a", { href: urlFor({ ...s, article: String(item.id) }), text: item.title || "(untitled)" });
      list.append(el("li", {}, link, el("span", { class: "meta", text: ` · ${meta(item)}` })));
    }
    view.append(el("h2", { text: "Similar articles, other stories" }), list);
  } catch { /* the article itself is shown; similar articles are extra */ }
}

async function showResults(s) {
  $("article").hidden = true;
  $("results").hidden = false;
  $("results").replaceChildren();
  if (!s.q.trim()) { setStatus(""); return; }
  const params = new URLSearchParams({ q: s.q, k: "10", mode: s.mode || "hybrid" });
  for (const f of ["since", "until", "source"]) if (s[f]) params.set(f, s[f]);
  setStatus("Searching…");
  const started = performance.now();
  try {
    const body = await api(`/api/search?${params}`);
    const pattern = s.mode === "semantic" ? null : highlighter(s.q);
    $("results").replaceChildren(...body.hits.map((hit) => resultItem(hit, pattern, s)));
    const ms = Math.round(performance.now() - started);
    setStatus(body.hits.length ? `${body.hits.length} articles, ${ms} ms` : "No results.");
  } catch (error) {
    setStatus(error.message, true);
  }
}

async function showArticle(s) {
  const view = showView();
  try {
    const article = await api(`/api/articles/${encodeURIComponent(s.article)}`);
    const pattern = s.q && s.mode !== "semantic" ? highlighter(s.q) : null;
    const back = el("a", { class: "back", href: urlFor({ ...s, article: "" }), text: s.q ? "← Back to results" : "← New search" });
    view.append(back, el("h1", { text: article.title || "(untitled)" }), el("p", { class: "meta", text: meta(article) }));
    const url = safeUrl(article.url || "");
    if (url) view.append(el("p", { class: "meta" }, el("a", { href: url, rel: "noopener noreferrer", text: url })));
    else if (article.url) view.append(el("p", { class: "meta", text: article.url }));
    for (const p of article.paragraphs) {
      if (p.position === 0) continue;
      const number = el("span", { class: "number", text: `¶${p.position}${p.part ? "." + (p.part + 1) : ""}` });
      view.append(el("p", { class: "paragraph" }, number, marked(p.text, pattern)));
    }
    view.append(el("p", { class: "story" }, el("a", { href: urlFor({ ...s, article: "", story: String(article.id) }), text: "This article's story" })));
    await showSimilar(view, s, article.id);
    setStatus("");
    back.focus();
  } catch (error) {
    setStatus(error.message, true);
  }
}

function render() {
  const s = state();
  fillForm(s);
  document.title = s.q ? `${s.q} – newssearch` : "newssearch";
  if (s.story) return showStory(s);
  return s.article ? showArticle(s) : showResults(s);
}

function go(s) {
  history.pushState(null, "", urlFor(s));
  return render();
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const s = Object.fromEntries(fields.map((f) => [f, $(f).value.trim()]));
  go(s);
});

document.addEventListener("click", (event) => {
  const link = event.target.closest("a[href^='/']");
  if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
  event.preventDefault();
  history.pushState(null, "", link.getAttribute("href"));
  render();
});

document.addEventListener("keydown", (event) => {
  const typing = ["INPUT", "SELECT", "TEXTAREA"].includes(document.activeElement.tagName);
  if (event.key === "/" && !typing) { event.preventDefault(); $("q").focus(); $("q").select(); }
  if (event.key === "Escape" && (state().article || state().story)) history.back();
});

window.addEventListener("popstate", render);

api("/api/stats").then((stats) => {
  $("stats").textContent = `${stats.articles.toLocaleString()} articles, ${stats.first_date ? stats.first_date.slice(0, 10) : "?"} to ${stats.last_date ? stats.last_date.slice(0, 10) : "?"}`;
}).catch(() => {});
render();

"""The frame of every page of the site: style, escaping, and the two scripts (sorting by a
column; filters by language, source and setting). Plain JavaScript, no network."""

from __future__ import annotations

import html

STYLE = """body{font-family:system-ui,sans-serif;margin:2em;max-width:1300px;color:#222}
table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:.3em .6em}
th{background:#f0f0f0;cursor:pointer;user-select:none}td{text-align:right}
td:first-child{text-align:left}#runs td{text-align:left}#runs td:last-child{text-align:right}
.note{color:#666;font-size:.9em}img{max-width:100%}
b{color:#0a5}a{color:#1a55b0;text-decoration:none}a:hover{text-decoration:underline}
.filters{position:sticky;top:0;background:#fafafa;border:1px solid #ddd;padding:.5em 1em;
z-index:1}.filters label{margin-right:1.5em}.hidden{display:none}
nav a{margin-right:1em}svg text{font-family:system-ui,sans-serif}"""
#: Click a header to sort by that column (numbers by value, text alphabetically); the text
#: of a cell is what sorts, links and marks inside it included.
SORT_JS = """document.querySelectorAll('table.sortable').forEach(function(t){
 t.querySelectorAll('thead th').forEach(function(th,col){th.addEventListener('click',function(){
  var body=t.tBodies[0],rows=Array.prototype.slice.call(body.rows);
  var asc=th.getAttribute('data-order')!=='asc';th.setAttribute('data-order',asc?'asc':'desc');
  function key(r){var s=r.cells[col].textContent.trim(),n=parseFloat(s);
   return isNaN(n)?s.toLowerCase():n;}
  rows.sort(function(a,b){var x=key(a),y=key(b);if(x===y)return 0;
   var c=(typeof x===typeof y)?(x<y?-1:1):(typeof x==='number'?-1:1);return asc?c:-c;});
  rows.forEach(function(r){body.appendChild(r);});});});});"""
#: The filter bar: a row names its corpora (data-corpora) and setting (data-setting), a
#: column its setting or corpus; each corpus's language and source are in `CORPUS_FACETS`.
#: A row or column is hidden when a filter is set and it does not match; a summary row (an
#: average over the rows, data-summary) is hidden as soon as one of its rows is; the state is kept
#: in the address (#lang=..&source=..&setting=..) so a filtered view can be linked.
FILTER_JS = """(function(){var F=window.CORPUS_FACETS||{},bar=document.getElementById('filters');
 if(!bar)return;var sel={};bar.querySelectorAll('select').forEach(function(s){sel[s.name]=s;});
 function okCorpus(c){var f=F[c];if(!f)return true;
  if(sel.lang.value&&f.languages.indexOf(sel.lang.value)<0)return false;
  if(sel.source.value&&f.source!==sel.source.value)return false;return true;}
 function okCorpora(list){if(!list)return true;var cs=list.split(' ');
  for(var i=0;i<cs.length;i++){if(!okCorpus(cs[i]))return false;}return true;}
 function okSetting(s){return !s||!sel.setting.value||s===sel.setting.value;}
 function apply(){document.querySelectorAll('table.filterable').forEach(function(t){
   var heads=t.tHead.rows[0].cells,show=[];
   for(var j=0;j<heads.length;j++){var h=heads[j];
    show.push(j===0||(okSetting(h.getAttribute('data-setting'))&&
                      okCorpora(h.getAttribute('data-corpora'))));
    h.classList.toggle('hidden',!show[j]);}
   var rows=Array.prototype.slice.call(t.tBodies[0].rows),cut=false;
   rows.forEach(function(r){
    var ok=okCorpora(r.getAttribute('data-corpora'))&&okSetting(r.getAttribute('data-setting'));
    cut=cut||!ok;r.classList.toggle('hidden',!ok);
    for(var j=0;j<r.cells.length;j++){r.cells[j].classList.toggle('hidden',!show[j]);}});
   rows.forEach(function(r){if(cut&&r.hasAttribute('data-summary'))r.classList.add('hidden');});
  });
  var parts=[];
  for(var k in sel){if(sel[k].value)parts.push(k+'='+encodeURIComponent(sel[k].value));}
  history.replaceState(null,'',parts.length?'#'+parts.join('&'):location.pathname);}
 location.hash.replace(/^#/,'').split('&').forEach(function(p){var kv=p.split('=');
  if(sel[kv[0]])sel[kv[0]].value=decodeURIComponent(kv[1]||'');});
 for(var k in sel){sel[k].addEventListener('change',apply);}apply();})();"""


def esc(text: object) -> str:
    """`text` escaped for HTML text and attribute values."""
    return html.escape(str(text), quote=True)


def page(title: str, body: str, *, head: str = "", scripts: str = "") -> str:
    """A whole page: `body` under a heading, the sorting script (and `scripts`) at the end."""
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{esc(title)}"
            f"</title><style>{STYLE}</style>{head}</head><body><h1>{esc(title)}</h1>{body}"
            f"<script>{SORT_JS}{scripts}</script></body></html>\n")

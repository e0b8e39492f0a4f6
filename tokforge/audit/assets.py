"""The report pages' style sheet and script, inlined into report.html (the page loads nothing from the
network): `CSS` for both pages, `STATIC_CSS` for what only the static page has (cards, PNG figures), `JS`
for the interactive page (`html.render_html`)."""

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
header{background:#1d2330;color:#fff;padding:16px 32px}header h1{margin:0 0 4px;font-size:23px}
header p{margin:0;color:#c5cad6;font-size:14px}main{padding:10px 32px 40px;max-width:1600px}
nav{position:sticky;top:0;background:#eef0f4;padding:6px 32px;font-size:13px;z-index:5;border-bottom:1px solid #d8dce4}
nav a{margin-right:14px;color:#2a4d9b;text-decoration:none}
h2{margin:28px 0 8px;font-size:19px;border-bottom:2px solid #d8dce4;padding-bottom:4px}
p.note{color:#555;font-size:13px;margin:4px 0 10px;max-width:1150px}
.warn{background:#fff4d6;border-left:4px solid #e0a800;padding:8px 12px;font-size:13px;margin:10px 0}
.err{background:#fde8e8;border-left:4px solid #c0392b;padding:8px 12px;font-size:13px;margin:10px 0}
.chart{background:#fff;border-radius:8px;padding:8px;box-shadow:0 1px 3px rgba(0,0,0,.12);overflow-x:auto;margin:6px 0}
table.data{border-collapse:collapse;font-size:12.5px;background:#fff}
table.data th,table.data td{border:1px solid #dde1e8;padding:3px 7px;text-align:right;white-space:nowrap}
table.data th{background:#eef0f4;position:sticky;top:0;cursor:pointer;user-select:none}
table.data th.sorted-asc::after{content:" ▲"}table.data th.sorted-desc::after{content:" ▼"}
table.data td.l,table.data th.l{text-align:left}tr.ref td{color:#777;background:#fafafa}
.scroll{max-height:560px;overflow:auto;display:inline-block;max-width:100%}
.tools{margin:6px 0;font-size:13px}.tools input,.tools select{margin-right:10px;font-size:13px;padding:2px 4px}
details{margin:6px 0}summary{cursor:pointer;font-weight:600}
.tk{display:inline;white-space:pre-wrap;border-radius:3px;padding:1px 0;margin:0 1px;font-family:ui-monospace,monospace;
font-size:12.5px;line-height:1.9}.t0{background:#dbe8ff}.t1{background:#ffe3c4}
.tf{background:#ffd6d6;outline:1px solid #c0392b}.tp{background:#fff0a8;outline:1px dashed #b7950b}
.ts{background:#ddd;color:#555}.vrow{margin:4px 0 10px}.vname{font-size:12px;color:#444;margin:6px 0 2px}
.legend span{margin-right:12px;font-size:12px}code{background:#eef0f4;border-radius:3px;padding:0 3px}
"""

STATIC_CSS = """
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(275px,1fr));gap:12px}
.card{background:#fff;border-radius:8px;padding:12px 14px;box-shadow:0 1px 3px rgba(0,0,0,.12)}
.card h3{margin:0 0 6px;font-size:16px;word-break:break-all}.card .fam{color:#667;font-size:12px}
.card table{width:100%;font-size:13px;border-collapse:collapse}.card td{padding:1px 0}
.card td.v{text-align:right;font-variant-numeric:tabular-nums;font-weight:600}
.fig{background:#fff;border-radius:8px;padding:8px;box-shadow:0 1px 3px rgba(0,0,0,.12);overflow-x:auto;margin:6px 0}
.fig img{display:block;max-width:none}table.data th{cursor:auto}
table.data td:first-child,table.data th:first-child{text-align:left}
code.tok{margin:1px;display:inline-block;font-size:12px;white-space:pre}
"""

JS = r"""
(function(){
function val(td){var v=td.getAttribute('data-v');if(v===null)v=td.textContent;var n=parseFloat(v);
 return (v!==''&&!isNaN(n)&&isFinite(v))?n:v.toLowerCase();}
function sortTable(th){var table=th.closest('table'),idx=[].indexOf.call(th.parentNode.children,th);
 var asc=!th.classList.contains('sorted-asc');
 table.querySelectorAll('th').forEach(function(h){h.classList.remove('sorted-asc','sorted-desc');});
 th.classList.add(asc?'sorted-asc':'sorted-desc');var body=table.tBodies[0],rows=[].slice.call(body.rows);
 rows.sort(function(a,b){var x=val(a.cells[idx]),y=val(b.cells[idx]);if(typeof x!==typeof y){x=String(x);y=String(y);}
  return (x<y?-1:x>y?1:0)*(asc?1:-1);});rows.forEach(function(r){body.appendChild(r);});}
document.querySelectorAll('table.data thead th').forEach(
 function(th){th.addEventListener('click',function(){sortTable(th);});});
document.querySelectorAll('.tools').forEach(function(box){var t=document.getElementById(box.getAttribute('data-for'));
 function apply(){var q=(box.querySelector('input')||{value:''}).value.toLowerCase();var sel={};
  box.querySelectorAll('select').forEach(function(s){sel[s.name]=s.value;});
  [].forEach.call(t.tBodies[0].rows,function(r){var ok=r.textContent.toLowerCase().indexOf(q)>=0;
   for(var k in sel){if(sel[k]!=='all'&&r.getAttribute('data-'+k)!==sel[k])ok=false;}r.style.display=ok?'':'none';});}
 box.querySelectorAll('input,select').forEach(function(e){e.addEventListener('input',apply);});});
var se=document.getElementById('specs');if(!se||typeof vegaEmbed==='undefined')return;
var specs=JSON.parse(se.textContent);
Object.keys(specs).forEach(function(id){var el=document.getElementById(id);if(!el)return;
 vegaEmbed(el,specs[id],{actions:false,renderer:'svg'}).catch(function(e){console.error('chart '+id+': '+e);});});
})();
"""

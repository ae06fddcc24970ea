// The story page's statements by speaker: a filter box that keeps the speakers and the
// statements holding every word typed (in the name, the outlet or the words said), opening
// the groups it keeps. A file, so the served page needs no inline script; the static report
// (storytrace story --html) carries this same code inline, allowed by its hash. Without
// script the box stays hidden and every group is still there to open.
(function () {
  var box = document.getElementById('speaker-filter');
  if (!box) { return; }
  box.closest('.filter').hidden = false;
  var groups = Array.prototype.slice.call(document.querySelectorAll('details.speaker'));
  var wasOpen = groups.map(function (g) { return g.open; });
  var count = document.getElementById('filter-count');
  box.addEventListener('input', function () {
    var words = box.value.toLowerCase().split(/\s+/).filter(Boolean);
    var speakers = 0, statements = 0;
    groups.forEach(function (g, i) {
      var name = g.querySelector('summary').textContent.toLowerCase();
      var kept = 0;
      g.querySelectorAll('tr[data-q]').forEach(function (row) {
        var text = name + ' ' + row.textContent.toLowerCase();
        var hit = words.every(function (w) { return text.indexOf(w) >= 0; });
        row.hidden = !hit;
        if (hit) { kept += 1; }
      });
      g.hidden = kept === 0;
      g.open = words.length ? kept > 0 : wasOpen[i];
      if (kept) { speakers += 1; statements += kept; }
    });
    count.textContent = words.length
      ? speakers + ' speakers, ' + statements + ' statements match' : '';
  });
})();

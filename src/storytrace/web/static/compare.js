// The side-by-side page: hovering a passage lights up its counterpart, clicking one scrolls
// the page to it. A file, so the served page needs no inline script; the static report
// (storytrace compare --html) carries this same code inline, allowed by its hash.
document.querySelectorAll('mark[data-p]').forEach(function (m) {
  var p = m.dataset.p;
  function all() { return document.querySelectorAll('mark[data-p="' + p + '"]'); }
  m.addEventListener('mouseenter', function () { all().forEach(function (x) { x.classList.add('lit'); }); });
  m.addEventListener('mouseleave', function () { all().forEach(function (x) { x.classList.remove('lit'); }); });
  m.addEventListener('click', function () {
    document.querySelectorAll('mark.lit').forEach(function (x) { x.classList.remove('lit'); });
    var other = m.closest('.col').id === 'col-a' ? 'col-b' : 'col-a';
    var t = document.querySelector('#' + other + ' mark[data-p="' + p + '"]');
    m.classList.add('lit');
    if (t) { t.scrollIntoView({block: 'center'}); t.classList.add('lit'); }
  });
});

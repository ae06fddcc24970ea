// Starts Swagger UI on the app's API description. A file rather than an inline script, so
// the page's Content-Security-Policy allows it without an exception.
(function () {
  var root = document.getElementById('swagger-ui');
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapi,
    dom_id: '#swagger-ui',
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
    deepLinking: true,
    validatorUrl: null
  });
})();

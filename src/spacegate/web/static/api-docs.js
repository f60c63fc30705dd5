// Starts Swagger UI on the API docs page (/api/docs). A file rather than an inline
// script: the Content-Security-Policy allows scripts from this server only.
window.addEventListener("DOMContentLoaded", function () {
  window.ui = SwaggerUIBundle({
    url: "/api/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    persistAuthorization: false,
  });
});

// CloudFront Function (cloudfront-js-2.0), viewer request, default behavior only.
// The Leptos app routes in the browser: /models/momentum-strategy has no file in the site
// bucket, so every path whose last segment has no dot is answered with the app shell.
// Files (/style.css, /auster_web_bg.wasm) pass through unchanged, and /api/* never reaches
// this function, so API 404s stay API 404s.
function handler(event) {
  var request = event.request;
  var uri = request.uri;
  var last = uri.substring(uri.lastIndexOf('/') + 1);
  if (last.indexOf('.') === -1) {
    request.uri = '/index.html';
  }
  return request;
}

// The analysis dashboard's map, zoomable: the neighbourhoods (GeoJSON embedded in the page)
// in the same grey shades as the SVG map, over tiles when the site configured a tile
// server, on a plain background when not. Without JavaScript or Leaflet the SVG map stays.
(function () {
  "use strict";
  var holder = document.getElementById("zoom-map");
  var data = document.getElementById("map-data");
  if (!holder || !data || !window.L) { return; }
  var shades = ["#ffffff", "#e0e0e0", "#bdbdbd", "#969696", "#636363", "#252525"];
  var features = JSON.parse(data.textContent);
  holder.hidden = false;
  var map = L.map(holder, { scrollWheelZoom: false, attributionControl: true });
  var tiles = holder.getAttribute("data-tiles");
  if (tiles) {
    // tile servers (OpenStreetMap's among them) want to know which site asks
    L.tileLayer(tiles, { maxZoom: 19, referrerPolicy: "strict-origin-when-cross-origin",
                         attribution: holder.getAttribute("data-attribution") || "" })
      .addTo(map);
  } else {
    holder.classList.add("no-tiles");
  }
  var layer = L.geoJSON(features, {
    style: function (feature) {
      return { color: "#000", weight: 2, fillOpacity: 0.75,
               fillColor: shades[feature.properties.shade] || shades[0] };
    },
    onEachFeature: function (feature, area) {
      var label = document.createElement("span");  // text, never HTML: names are typed in
      label.textContent = feature.properties.name + ": " + feature.properties.value;
      area.bindTooltip(label);
      area.on("click", function () { window.location.href = feature.properties.url; });
    }
  }).addTo(map);
  map.fitBounds(layer.getBounds(), { padding: [8, 8] });
  var fallback = document.querySelector(".analysis-map");
  if (fallback) { fallback.classList.add("print-only"); }
})();

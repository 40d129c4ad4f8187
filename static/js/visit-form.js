/* The visit form's "获取当前位置" button: fills latitude and longitude from the phone's GPS. */
(function () {
  "use strict";
  var button = document.getElementById("locate");
  if (!button) { return; }
  button.addEventListener("click", function () {
    var status = document.getElementById("gps-status");
    if (!navigator.geolocation) { status.textContent = "定位：此设备不支持"; return; }
    status.textContent = "定位：获取中…";
    navigator.geolocation.getCurrentPosition(function (pos) {
      document.getElementById("id_latitude").value = pos.coords.latitude.toFixed(6);
      document.getElementById("id_longitude").value = pos.coords.longitude.toFixed(6);
      status.textContent = "定位：" + pos.coords.latitude.toFixed(5) + ", " + pos.coords.longitude.toFixed(5);
    }, function () { status.textContent = "定位：获取失败，可不填"; });
  });
})();

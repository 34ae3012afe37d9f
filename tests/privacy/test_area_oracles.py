"""Through the HTTP API: what discovery's filters answer tells a viewer no more than the area they are shown."""

from __future__ import annotations

from math import cos, radians

from foodshare import geo
from tests.support import flows
from tests.support.api import call

DOOR = {"lat": 52.5312, "lng": 13.4187}


def _found(user: str, food_id: str, lat: float, lng: float, radius: float) -> bool:
    reply = call("GET", "/food", user=user, query={"lat": lat, "lng": lng, "radiusKm": radius})
    assert reply.status == 200, reply
    return any(i["foodId"] == food_id for i in reply.body["items"])


def _radius_edge(user: str, food_id: str, lat: float, lng: float) -> float:
    """The smallest radius around (lat, lng) that still finds the post, to a few metres (a binary search)."""
    low, high = 0.0, 20.0
    assert _found(user, food_id, lat, lng, high)
    while high - low > 0.002:
        middle = (low + high) / 2
        low, high = (low, middle) if _found(user, food_id, lat, lng, middle) else (middle, high)
    return high


def test_the_radius_filter_cannot_be_used_to_trilaterate_the_exact_place():
    c = flows.community()
    food_id = flows.share("sam", c["group"], pickupLocation={**DOOR, "label": "Back door"})
    shown = call("GET", f"/food/{food_id}", user="cleo").body["pickupLocation"]
    assert shown["precision"] == "area"

    # Three centres a few km around; the radius at which the post appears is its distance from each.
    lat0, lng0 = 52.50, 13.38
    km_lat = geo.EARTH_RADIUS_KM * radians(1)
    km_lng = km_lat * cos(radians(lat0))
    centres = [(lat0, lng0), (lat0, lng0 + 5 / km_lng), (lat0 + 5 / km_lat, lng0)]
    r0, r1, r2 = (_radius_edge("cleo", food_id, lat, lng) for lat, lng in centres)
    # Flat trilateration around the first centre (x east, y north, km): circles' differences are linear.
    x = (r0 ** 2 - r1 ** 2 + 25) / 10
    y = (r0 ** 2 - r2 ** 2 + 25) / 10
    found = (lat0 + y / km_lat, lng0 + x / km_lng)

    to_door = geo.distance_km(*found, DOOR["lat"], DOOR["lng"])
    to_area = geo.distance_km(*found, shown["lat"], shown["lng"])
    # What the filter reveals is the point the viewer is shown anyway, not the doorstep.
    assert to_area < 0.05, f"the radius filter located a point {to_door * 1000:.0f} m from the door " \
                           f"and {to_area * 1000:.0f} m from the area shown"


def _km(lat0: float, lng0: float) -> tuple[float, float]:
    km_lat = geo.EARTH_RADIUS_KM * radians(1)
    return km_lat, km_lat * cos(radians(lat0))


def _seen_from_home(user: str, food_id: str, lat: float, lng: float) -> bool:
    assert call("PUT", "/me", user=user, json={"displayName": "Pia", "location": {"lat": lat, "lng": lng}}).status == 200
    reply = call("GET", "/food", user=user)
    assert reply.status == 200, reply
    return any(i["foodId"] == food_id for i in reply.body["items"])


def test_the_partnership_distance_cannot_be_used_to_trilaterate_the_exact_place():
    for name in ("sam", "pia"):
        flows.user(name)
    home_group = flows.group("sam", "North")
    partner = flows.group("pia", "Partner")
    flows.partnership("pia", partner, "sam", home_group, maxDistanceKm=5, minReputation=0)
    food_id = flows.share("sam", home_group, pickupLocation={**DOOR, "label": "Back door"})
    shown = call("GET", f"/food/{food_id}", user="pia").body["pickupLocation"]
    assert shown["precision"] == "area"

    # From the area shown (inside the 5 km), move home outwards in three directions until the post drops out:
    # three points on the circle of 5 km around whatever point the partnership term is judged on.
    lat0, lng0 = shown["lat"], shown["lng"]
    km_lat, km_lng = _km(lat0, lng0)
    edge = []
    for dx, dy in ((1.0, 0.0), (-0.5, 0.866), (-0.5, -0.866)):
        low, high = 0.0, 12.0
        while high - low > 0.002:
            middle = (low + high) / 2
            seen = _seen_from_home("pia", food_id, lat0 + dy * middle / km_lat, lng0 + dx * middle / km_lng)
            low, high = (middle, high) if seen else (low, middle)
        edge.append((dx * low, dy * low))
    # The circle's centre through three of its points (flat, km around the area point).
    (ax, ay), (bx, by), (cx, cy) = edge
    d = 2 * (ax * (by - cy) + bx * (cy - ay) + cx * (ay - by))
    ux = ((ax * ax + ay * ay) * (by - cy) + (bx * bx + by * by) * (cy - ay) + (cx * cx + cy * cy) * (ay - by)) / d
    uy = ((ax * ax + ay * ay) * (cx - bx) + (bx * bx + by * by) * (ax - cx) + (cx * cx + cy * cy) * (bx - ax)) / d
    found = (lat0 + uy / km_lat, lng0 + ux / km_lng)

    to_door = geo.distance_km(*found, DOOR["lat"], DOOR["lng"])
    to_area = geo.distance_km(*found, lat0, lng0)
    assert to_area < 0.05, f"moving home located a point {to_door * 1000:.0f} m from the door " \
                           f"and {to_area * 1000:.0f} m from the area shown"

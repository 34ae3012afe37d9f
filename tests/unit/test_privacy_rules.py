"""The pure privacy rules (domain/privacy.py): handles, pseudonyms, areas, who sees the exact place."""

from __future__ import annotations

from foodshare import geo
from foodshare.domain import exports, privacy

KEY = b"k" * 32


def test_handles_are_stable_per_group_and_differ_between_groups_and_keys():
    first = privacy.handle(KEY, "sam", "g1")
    assert first == privacy.handle(KEY, "sam", "g1") and privacy.looks_like_handle(first)
    assert len({first, privacy.handle(KEY, "sam", "g2"), privacy.handle(KEY, "cleo", "g1"),
                privacy.handle(b"other", "sam", "g1")}) == 4
    assert "sam" not in first and "g1" not in first
    assert not privacy.looks_like_handle("sam")


def test_a_handle_keeps_the_value_it_was_stored_under():
    # handle index items are keyed by the handle (identities.record_handle): the value must never change
    assert privacy.handle(b"fixed-test-key-0123456789abcdef", "user-1", "group-1") == "h-vdrcl72lkrxnkufyxtl7"
    assert privacy.handle(b"k", "u" * 40, "g") == "h-4hul5w4lk7hfyyi4zpkv"


def test_pseudonyms_per_group_and_attempt():
    names = {privacy.pseudonym(KEY, "sam", g, a) for g in ("g1", "g2", "g3") for a in range(3)}
    assert len(names) == 9
    assert privacy.pseudonym(KEY, "sam", "g1") == privacy.pseudonym(KEY, "sam", "g1", 0)
    assert all(n[-4:].isdigit() and n[0].isupper() for n in names)


def test_area_is_stable_near_but_not_at_the_exact_point_and_differs_per_post():
    lat, lng = 52.5213, 13.4049
    shown = privacy.area(KEY, "post-1", lat, lng)
    assert shown == privacy.area(KEY, "post-1", lat, lng)  # repeated reads: nothing to average
    assert 0.05 < geo.distance_km(lat, lng, *shown) < 3.5
    assert privacy.area(KEY, "post-2", lat, lng) != shown  # two posts of one doorstep: no equal field


def test_area_depends_only_on_the_cell_so_it_reveals_nothing_finer():
    """Two doorsteps in the same ~2 km cell give the same shown point for a post: the point carries the cell only."""
    cell = privacy.AREA_CELL_KM / privacy.KM_PER_DEGREE_LAT
    base_lat = (int(52.52 / cell) + 0.5) * cell
    a = privacy.area(KEY, "post", base_lat - cell * 0.4, 13.40)
    b = privacy.area(KEY, "post", base_lat + cell * 0.4, 13.40)
    assert a == b
    # Averaging many posts of one doorstep converges on the cell's centre, not on the doorstep.
    points = [privacy.area(KEY, f"p{i}", base_lat - cell * 0.4, 13.40) for i in range(400)]
    mean_lat = sum(p[0] for p in points) / len(points)
    assert abs(mean_lat - base_lat) < cell * 0.1 and abs(mean_lat - (base_lat - cell * 0.4)) > cell * 0.25


def test_who_sees_the_exact_place():
    assert privacy.sees_exact("sam", "sam", None)
    assert privacy.sees_exact("cleo", "sam", "cleo")
    assert not privacy.sees_exact("cleo", "sam", None)
    assert not privacy.sees_exact("ida", "sam", "cleo")
    assert privacy.sees_exact("ida", "sam", None, sharer_precision=privacy.EXACT)
    exact = privacy.pickup(KEY, "p", 52.52, 13.405, "Door", True)
    assert (exact.lat, exact.lng, exact.label, exact.precision) == (52.52, 13.405, "Door", "exact")
    area = privacy.pickup(KEY, "p", 52.52, 13.405, "Door", False)
    assert area.label is None and area.precision == "area" and (area.lat, area.lng) != (52.52, 13.405)


def test_bands_hide_the_exact_figure_and_keep_its_order():
    from foodshare.domain.privacy import count_band, rating_band, score_band

    assert [count_band(n) for n in (0, 1, 2, 3, 5, 6, 10, 11, 25, 26, 50, 51, 100, 101, 5000)] == [
        0, 1, 1, 3, 3, 6, 6, 11, 11, 26, 26, 51, 51, 101, 101]
    assert count_band(-1) == 0
    assert [score_band(s) for s in (0, 9.9, 10, 47.3, 73.4, 100)] == [0, 0, 10, 40, 70, 100]
    assert [rating_band(r) for r in (1.0, 3.24, 3.26, 4.74, 4.76, 5.0)] == [1.0, 3.0, 3.5, 4.5, 5.0, 5.0]
    many = [count_band(n) for n in range(200)]
    assert many == sorted(many) and len(set(many)) == 8  # 200 different counts, eight things to see


def test_an_exports_cleaning_reaches_ids_inside_json_strings_and_maps_keyed_by_people():
    item = {"user_id": "erin", "inbound": '{"cleo":[2,1,5],"dave":[1,3,3]}', "outbound": "{}",
            "note": '{"raterId":"cleo","stars":5}', "plain": "{not json", "same": '{"a": 1}'}
    others = frozenset(exports._people(item, set()) - {"erin"})
    assert others == {"cleo", "dave"}
    assert exports._others_out(item, "erin", others) == {
        "user_id": "erin", "inbound": '{"someone else":[[1,3,3],[2,1,5]]}', "outbound": "{}",
        "note": '{"raterId":"someone else","stars":5}', "plain": "{not json", "same": '{"a": 1}'}

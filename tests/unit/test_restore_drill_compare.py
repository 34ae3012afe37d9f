"""The restore drill's item-for-item comparison (scripts/restore_drill.py `_differing`): what counts as lost or back."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("restore_drill", ROOT / "scripts" / "restore_drill.py")
drill = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(drill)

NOW = 1_800_000_000.0


def test_a_lost_a_changed_and_a_returned_item_differ_an_item_past_its_ttl_does_not():
    at_point = {
        ("USER#a", "PROFILE"): {"score": 61},
        ("USER#b", "PROFILE"): {"score": 60},
        ("NOTICE#e1", "TO#a"): {"expires_at_epoch": NOW - 5},  # expired: the reaper took it before the copy
        ("NOTICE#e2", "TO#a"): {"expires_at_epoch": NOW + 3600},
    }
    restored = {
        ("USER#a", "PROFILE"): {"score": 62},  # changed
        ("EXCHANGE#x", "META"): {"status": "claimed"},  # a write of after, back
        ("NOTICE#e2", "TO#a"): {"expires_at_epoch": NOW + 3600},
    }  # USER#b lost
    assert drill._differing(at_point, restored, NOW) == [("EXCHANGE#x", "META"), ("USER#a", "PROFILE"),
                                                         ("USER#b", "PROFILE")]
    assert drill._differing(at_point, at_point, NOW) == []
    # not yet expired, it must be there
    assert drill._differing(at_point, restored | {("USER#a", "PROFILE"): {"score": 61},
                                                  ("USER#b", "PROFILE"): {"score": 60}},
                            NOW - 10) == [("EXCHANGE#x", "META"), ("NOTICE#e1", "TO#a")]

"""Which locations fill an order's lines: a pure function of stock, locations and the tenant's policy.

The rules, in order (what order-management systems call "sourcing"):

1. A location is a candidate when it is active, its kind is allowed (stores only when the tenant ships
   from stores) and it ships to the order's region (an empty ``ships_to_regions`` ships anywhere).
2. One location filling the whole order wins (fewest splits); among several, the nearest (ships to the
   exact subdivision, then the country, then anywhere), then a distribution center before a 3PL before a
   store, then the most stock.
3. Otherwise each line is filled by preferring locations the order already uses, then the nearest one that
   can fill the rest of the line, else the one with the most stock (a line splits as few times as possible).
4. What no candidate can fill is backordered.

A channel buffer caps what one channel may take of a SKU in total, on top of the WMS safety stock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

__all__ = ["Allocation", "LocationProfile", "RoutedLine", "RoutingPlan", "SourcingPolicy", "route_order"]

_KIND_PREFERENCE = {"distribution_center": 0, "3pl": 1, "store": 2, "drop_ship_supplier": 3}


@dataclass(frozen=True)
class LocationProfile:
    """What routing needs to know of a WMS location."""

    location_id: str
    kind: str
    ships_to_regions: tuple[str, ...] = ()
    active: bool = True


@dataclass(frozen=True)
class SourcingPolicy:
    ship_from_store: bool = True


@dataclass(frozen=True)
class RoutedLine:
    line_id: str
    sku: str
    quantity: int


@dataclass(frozen=True)
class Allocation:
    line_id: str
    sku: str
    location_id: str
    quantity: int


@dataclass
class RoutingPlan:
    allocations: list[Allocation] = field(default_factory=list)
    backorders: list[RoutedLine] = field(default_factory=list)


def _region_distance(profile: LocationProfile, country: str, region: str | None) -> int | None:
    """0 ships to the exact subdivision, 1 to the country, 2 anywhere; None does not ship there."""
    if not profile.ships_to_regions:
        return 2
    if region is not None and f"{country}-{region}" in profile.ships_to_regions:
        return 0
    if country in profile.ships_to_regions:
        return 1
    return None


def route_order(
    lines: Sequence[RoutedLine],
    *,
    sellable: Mapping[str, Mapping[str, int]],
    channel_caps: Mapping[str, int],
    locations: Sequence[LocationProfile],
    policy: SourcingPolicy,
    country: str,
    region: str | None,
) -> RoutingPlan:
    """Allocate ``lines`` from ``sellable[sku][location]`` units, never more than ``channel_caps[sku]`` per SKU."""
    distance: dict[str, int] = {}
    kind_rank: dict[str, int] = {}
    for profile in locations:
        if not profile.active or (profile.kind == "store" and not policy.ship_from_store):
            continue
        if (d := _region_distance(profile, country, region)) is not None:
            distance[profile.location_id] = d
            kind_rank[profile.location_id] = _KIND_PREFERENCE.get(profile.kind, len(_KIND_PREFERENCE))
    stock = {
        sku: {loc: units for loc, units in by_loc.items() if loc in distance and units > 0}
        for sku, by_loc in sellable.items()
    }
    caps = dict(channel_caps)
    plan = RoutingPlan()

    whole = _single_location(lines, stock, caps, distance, kind_rank)
    if whole is not None:
        for line in lines:
            _take(plan, stock, caps, line, whole, line.quantity)
        return plan

    used: list[str] = []
    for line in lines:
        remaining = line.quantity
        while remaining > 0 and caps.get(line.sku, 0) > 0:
            candidates = stock.get(line.sku, {})
            if not candidates:
                break
            best = min(
                candidates, key=lambda loc: _preference(loc, candidates[loc], remaining, used, distance, kind_rank)
            )
            taken = _take(plan, stock, caps, line, best, remaining)
            if best not in used:
                used.append(best)
            remaining -= taken
        if remaining > 0:
            plan.backorders.append(RoutedLine(line.line_id, line.sku, remaining))
    return plan


def _preference(
    location: str,
    units: int,
    remaining: int,
    used: list[str],
    distance: Mapping[str, int],
    kind_rank: Mapping[str, int],
) -> tuple[object, ...]:
    """Locations the order already uses first; then one that fills the rest (nearest, DC first); else the one
    with the most stock, so the line splits as few times as possible."""
    if units >= remaining:
        return (location not in used, 0, distance[location], kind_rank[location], -units, location)
    return (location not in used, 1, -units, distance[location], kind_rank[location], location)


def _single_location(
    lines: Sequence[RoutedLine],
    stock: Mapping[str, Mapping[str, int]],
    caps: Mapping[str, int],
    distance: Mapping[str, int],
    kind_rank: Mapping[str, int],
) -> str | None:
    wanted: dict[str, int] = {}
    for line in lines:
        wanted[line.sku] = wanted.get(line.sku, 0) + line.quantity
    if any(caps.get(sku, 0) < units for sku, units in wanted.items()):
        return None
    fillers = [loc for loc in distance if all(stock.get(sku, {}).get(loc, 0) >= units for sku, units in wanted.items())]
    if not fillers:
        return None
    return min(
        fillers,
        key=lambda loc: (distance[loc], kind_rank[loc], -sum(stock[sku][loc] for sku in wanted), loc),
    )


def _take(
    plan: RoutingPlan,
    stock: dict[str, dict[str, int]],
    caps: dict[str, int],
    line: RoutedLine,
    location: str,
    wanted: int,
) -> int:
    units = min(wanted, stock[line.sku][location], caps.get(line.sku, 0))
    stock[line.sku][location] -= units
    if stock[line.sku][location] == 0:
        del stock[line.sku][location]
    caps[line.sku] = caps.get(line.sku, 0) - units
    plan.allocations.append(Allocation(line.line_id, line.sku, location, units))
    return units

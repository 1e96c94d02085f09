"""Sourcing: which locations fill an order, by the documented rules (fewest splits, nearest, kind, stock)."""

from __future__ import annotations

from process_apis.inventory.routing import (
    Allocation,
    LocationProfile,
    RoutedLine,
    RoutingPlan,
    SourcingPolicy,
    route_order,
)

EAST = LocationProfile("DC-EAST", "distribution_center", ("US",))
WEST = LocationProfile("DC-WEST", "distribution_center", ("US-CA", "US-NV"))
STORE = LocationProfile("STORE-NYC", "store", ("US-NY",))
CANADA = LocationProfile("DC-TORONTO", "distribution_center", ("CA",))
ALL = [EAST, WEST, STORE, CANADA]


def route(lines: list[RoutedLine], sellable: dict[str, dict[str, int]], **options: object) -> RoutingPlan:
    caps = {sku: sum(units.values()) for sku, units in sellable.items()}
    arguments: dict[str, object] = {
        "sellable": sellable,
        "channel_caps": caps,
        "locations": ALL,
        "policy": SourcingPolicy(),
        "country": "US",
        "region": "NY",
    }
    arguments.update(options)
    return route_order(lines, **arguments)  # type: ignore[arg-type]


def test_one_location_filling_the_whole_order_wins_and_the_nearest_of_them() -> None:
    plan = route(
        [RoutedLine("1", "MUG", 2), RoutedLine("2", "CAP", 1)],
        {"MUG": {"DC-EAST": 5, "STORE-NYC": 2, "DC-WEST": 9}, "CAP": {"DC-EAST": 1, "STORE-NYC": 4}},
    )
    # STORE-NYC ships to US-NY exactly: nearer than DC-EAST (the whole US); DC-WEST does not ship to NY
    assert plan.allocations == [Allocation("1", "MUG", "STORE-NYC", 2), Allocation("2", "CAP", "STORE-NYC", 1)]
    assert plan.backorders == []


def test_stores_are_skipped_when_the_tenant_does_not_ship_from_stores() -> None:
    plan = route(
        [RoutedLine("1", "MUG", 2)],
        {"MUG": {"DC-EAST": 5, "STORE-NYC": 9}},
        policy=SourcingPolicy(ship_from_store=False),
    )
    assert plan.allocations == [Allocation("1", "MUG", "DC-EAST", 2)]


def test_a_line_no_single_location_can_fill_is_split_then_backordered() -> None:
    plan = route([RoutedLine("1", "MUG", 10)], {"MUG": {"DC-EAST": 4, "STORE-NYC": 3, "DC-TORONTO": 50}})
    assert plan.allocations == [
        Allocation("1", "MUG", "DC-EAST", 4),
        Allocation("1", "MUG", "STORE-NYC", 3),
    ]
    assert plan.backorders == [RoutedLine("1", "MUG", 3)]


def test_a_split_line_takes_the_most_stock_first_then_the_nearest_that_fills_the_rest() -> None:
    west = LocationProfile("DC-WEST", "distribution_center", ("US",))
    stock = {"TEE": {"STORE-NYC": 9, "DC-EAST": 100, "DC-WEST": 37}}
    plan = route([RoutedLine("1", "TEE", 120)], stock, locations=[EAST, west, STORE])
    # fewest splits: DC-EAST's 100, then the 20 left from DC-WEST (fills it), not the store's 9 first
    assert plan.allocations == [Allocation("1", "TEE", "DC-EAST", 100), Allocation("1", "TEE", "DC-WEST", 20)]


def test_split_orders_reuse_a_location_already_shipping_rather_than_open_another() -> None:
    plan = route(
        [RoutedLine("1", "MUG", 3), RoutedLine("2", "CAP", 2)],
        {"MUG": {"DC-EAST": 3}, "CAP": {"DC-EAST": 1, "STORE-NYC": 5}},
    )
    # no location has both; CAP's first unit comes from DC-EAST (already shipping), the rest from the store
    assert plan.allocations == [
        Allocation("1", "MUG", "DC-EAST", 3),
        Allocation("2", "CAP", "DC-EAST", 1),
        Allocation("2", "CAP", "STORE-NYC", 1),
    ]


def test_a_distribution_center_comes_before_a_store_at_the_same_distance() -> None:
    near_store = LocationProfile("STORE-BOS", "store", ("US",))
    plan = route([RoutedLine("1", "MUG", 1)], {"MUG": {"STORE-BOS": 50, "DC-EAST": 1}}, locations=[EAST, near_store])
    assert plan.allocations == [Allocation("1", "MUG", "DC-EAST", 1)]


def test_the_channel_cap_limits_what_is_taken_across_lines_of_a_sku() -> None:
    plan = route(
        [RoutedLine("1", "MUG", 3), RoutedLine("2", "MUG", 3)],
        {"MUG": {"DC-EAST": 10}},
        channel_caps={"MUG": 4},
    )
    assert plan.allocations == [Allocation("1", "MUG", "DC-EAST", 3), Allocation("2", "MUG", "DC-EAST", 1)]
    assert plan.backorders == [RoutedLine("2", "MUG", 2)]


def test_inactive_and_out_of_region_locations_fill_nothing() -> None:
    closed = LocationProfile("DC-EAST", "distribution_center", ("US",), active=False)
    plan = route([RoutedLine("1", "MUG", 1)], {"MUG": {"DC-EAST": 5, "DC-TORONTO": 5}}, locations=[closed, CANADA])
    assert plan.allocations == []
    assert plan.backorders == [RoutedLine("1", "MUG", 1)]

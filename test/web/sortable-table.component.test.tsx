// @vitest-environment happy-dom
// Sorting a table by clicking its headers: numbers largest first on the first click, text A→Z,
// a second click flips, aria-sort follows.
import { cleanup, fireEvent, render, screen, within } from "@testing-library/preact";
import { afterEach, describe, expect, it } from "vitest";
import { SortableTable, type Column } from "../../web/src/components/SortableTable.js";

interface Row {
  label: string;
  f1: number | null;
  support: number;
}

const ROWS: Row[] = [
  { label: "card_arrival", f1: 0.91, support: 20 },
  { label: "atm_support", f1: null, support: 0 },
  { label: "lost_or_stolen_card", f1: 0.62, support: 14 },
  { label: "exchange_rate", f1: 0.78, support: 31 },
];

const COLUMNS: Column<Row>[] = [
  { key: "label", label: "Label", value: (r) => r.label },
  { key: "f1", label: "F1", value: (r) => r.f1, render: (r) => (r.f1 === null ? "—" : r.f1.toFixed(2)), numeric: true, first: "asc" },
  { key: "support", label: "Support", value: (r) => r.support, numeric: true },
];

afterEach(cleanup);

const firstColumn = () => screen.getAllByRole("row").slice(1).map((r) => within(r).getAllByRole("cell")[0].textContent);
const header = (name: string) => screen.getByRole("columnheader", { name: new RegExp(`^${name}`) });

describe("SortableTable", () => {
  it("shows rows in the initial sort", () => {
    render(<SortableTable caption="Per label" columns={COLUMNS} rows={ROWS} rowKey={(r) => r.label} initialSort={{ key: "f1", direction: "asc" }} />);
    expect(firstColumn()).toEqual(["lost_or_stolen_card", "exchange_rate", "card_arrival", "atm_support"]);
    expect(header("F1").getAttribute("aria-sort")).toBe("ascending");
    expect(header("Label").getAttribute("aria-sort")).toBe("none");
  });

  it("sorts by any column on click and flips on a second click", () => {
    render(<SortableTable caption="Per label" columns={COLUMNS} rows={ROWS} rowKey={(r) => r.label} />);
    expect(firstColumn()).toEqual(ROWS.map((r) => r.label));

    fireEvent.click(within(header("Support")).getByRole("button"));
    expect(firstColumn()).toEqual(["exchange_rate", "card_arrival", "lost_or_stolen_card", "atm_support"]);
    expect(header("Support").getAttribute("aria-sort")).toBe("descending");

    fireEvent.click(within(header("Support")).getByRole("button"));
    expect(firstColumn()).toEqual(["atm_support", "lost_or_stolen_card", "card_arrival", "exchange_rate"]);
    expect(header("Support").getAttribute("aria-sort")).toBe("ascending");

    fireEvent.click(within(header("Label")).getByRole("button"));
    expect(firstColumn()).toEqual(["atm_support", "card_arrival", "exchange_rate", "lost_or_stolen_card"]);
    expect(header("Support").getAttribute("aria-sort")).toBe("none");

    // Missing values stay last in either direction.
    fireEvent.click(within(header("F1")).getByRole("button"));
    expect(firstColumn().at(-1)).toBe("atm_support");
    fireEvent.click(within(header("F1")).getByRole("button"));
    expect(firstColumn()).toEqual(["card_arrival", "exchange_rate", "lost_or_stolen_card", "atm_support"]);
  });

  it("renders cells with their renderer and says when there are no rows", () => {
    render(<SortableTable caption="Per label" columns={COLUMNS} rows={ROWS} rowKey={(r) => r.label} />);
    expect(screen.getByText("0.91")).toBeTruthy();
    cleanup();
    render(<SortableTable caption="Per label" columns={COLUMNS} rows={[]} rowKey={(r) => r.label} empty="No label matches." />);
    expect(screen.getByText("No label matches.")).toBeTruthy();
  });

  it("sorts from the keyboard: the headers are buttons", () => {
    render(<SortableTable caption="Per label" columns={COLUMNS} rows={ROWS} rowKey={(r) => r.label} />);
    const button = within(header("Label")).getByRole("button");
    button.focus();
    expect(document.activeElement).toBe(button);
  });
});

describe("SortableTable with a row limit", () => {
  it("shows the first rows of the sorted whole, then all on request", () => {
    render(<SortableTable caption="Per label" columns={COLUMNS} rows={ROWS} rowKey={(r) => r.label} initialSort={{ key: "support", direction: "desc" }} limit={2} />);
    expect(firstColumn()).toEqual(["exchange_rate", "card_arrival"]);
    fireEvent.click(within(header("Support")).getByRole("button"));
    expect(firstColumn()).toEqual(["atm_support", "lost_or_stolen_card"]);
    fireEvent.click(screen.getByRole("button", { name: "Show all 4" }));
    expect(firstColumn()).toHaveLength(4);
  });
});

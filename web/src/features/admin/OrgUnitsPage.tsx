import { useMemo, useState, type CSSProperties } from "react";
import { Button as AriaButton, Tree, TreeItem, TreeItemContent, type Key } from "react-aria-components";
import { api, ok, type Schemas } from "@/api/client";
import { useAuth } from "@/auth/session";
import { Button, Card, Field, Notice, Select } from "@/design/components";
import { AdminPage, failure, useKeptLoad, useT } from "./shared";
import { childrenOf, descendants } from "./tree";
import { Loaded } from "@/lib/Loaded";

type Unit = Schemas["OrgUnitPublic"];

/** Every unit the person may see, all pages of the list. */
export async function loadUnits(): Promise<Unit[]> {
  const units: Unit[] = [];
  for (let offset = 0; ; offset += 200) {
    const page = ok(await api.GET("/v1/org-units", { params: { query: { limit: 200, offset } } }));
    units.push(...page.items);
    if (units.length >= page.total || page.items.length === 0) return units;
  }
}

/** `/admin`: the org-unit tree, and what can be done to the selected unit. */
export function OrgUnitsPage() {
  const t = useT();
  const [units, reload] = useKeptLoad(loadUnits, []);
  const [selected, setSelected] = useState<number | null>(null);
  return (
    <AdminPage title={t("units.title")} intro={t("units.intro")}>
      <Loaded tone="danger" state={units}>
        {(list) => (
          <UnitsView
            units={list}
            selected={selected ?? list.find((u) => u.parent_id === null)?.id ?? list[0]?.id ?? null}
            onSelect={setSelected}
            onChanged={(id) => {
              if (id !== undefined) setSelected(id);
              reload();
            }}
          />
        )}
      </Loaded>
    </AdminPage>
  );
}

function UnitsView({
  units,
  selected,
  onSelect,
  onChanged,
}: {
  units: Unit[];
  selected: number | null;
  onSelect: (id: number) => void;
  onChanged: (select?: number | null) => void;
}) {
  const t = useT();
  const tree = useMemo(() => childrenOf(units), [units]);
  const [expanded, setExpanded] = useState<Set<Key>>(() => new Set(units.map((u) => u.id)));
  const unit = units.find((u) => u.id === selected) ?? null;
  // what the last action did: kept here because the panel remounts when the selection moves (a new unit)
  const [done, setDone] = useState<string | null>(null);

  const render = (parent: number | null) =>
    (tree.get(parent) ?? []).map((u) => (
      <TreeItem key={u.id} id={u.id} textValue={u.name} className="pw-tree__item">
        <TreeItemContent>
          {({ hasChildItems, isExpanded, level }) => (
            <div className="pw-tree__row" style={{ "--tree-level": level } as CSSProperties}>
              {hasChildItems ? (
                <AriaButton slot="chevron" className="pw-tree__chevron" aria-label={t(isExpanded ? "units.collapse" : "units.expand", { name: u.name })}>
                  <span aria-hidden="true">{isExpanded ? "▾" : "▸"}</span>
                </AriaButton>
              ) : (
                <span className="pw-tree__spacer" aria-hidden="true" />
              )}
              <span>{u.name}</span>
              <span className="muted">({u.kind})</span>
            </div>
          )}
        </TreeItemContent>
        {render(u.id)}
      </TreeItem>
    ));

  return (
    <>
    <div aria-live="polite">{done && <Notice tone="success">{done}</Notice>}</div>
    <div className="pw-admin-split">
      <Tree
        aria-label={t("units.tree")}
        className="pw-tree"
        selectionMode="single"
        disallowEmptySelection
        selectedKeys={selected !== null ? [selected] : []}
        onSelectionChange={(keys) => {
          const [key] = [...keys];
          if (key !== undefined) onSelect(Number(key));
        }}
        expandedKeys={expanded}
        onExpandedChange={setExpanded}
      >
        {render(null)}
      </Tree>
      {unit && <UnitPanel key={unit.id} unit={unit} units={units} tree={tree} onChanged={onChanged} onDone={setDone} />}
    </div>
    </>
  );
}

function UnitPanel({
  unit,
  units,
  tree,
  onChanged,
  onDone: setDone,
}: {
  unit: Unit;
  units: Unit[];
  tree: Map<number | null, Unit[]>;
  onChanged: (select?: number | null) => void;
  onDone: (message: string | null) => void;
}) {
  const t = useT();
  const { can } = useAuth();
  const [name, setName] = useState(unit.name);
  const [child, setChild] = useState({ name: "", slug: "", kind: "" });
  const [parent, setParent] = useState<number | null>(unit.parent_id);
  const [error, setError] = useState<{ where: string; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const writable = can("org:write");
  const blocked = descendants(tree, unit.id);
  const parents = units.filter((u) => !blocked.has(u.id)).map((u) => ({ id: u.id, label: u.name }));

  async function act(where: string, run: () => Promise<{ error?: unknown; response: Response; data?: unknown }>, message: string, select?: number | null) {
    setBusy(true);
    setError(null);
    setDone(null);
    const result = await run();
    setBusy(false);
    const problem = failure(result);
    if (problem) return setError({ where, text: problem });
    setDone(message);
    onChanged(select);
  }

  const problemFor = (where: string) => (error?.where === where ? error.text : undefined);

  return (
    <section aria-labelledby="unit-title" className="stack">
      <h2 id="unit-title">{unit.name}</h2>
      <p className="muted">{t("units.facts", { slug: unit.slug, kind: unit.kind, id: unit.id })}</p>
      {!writable && <Notice tone="info">{t("units.readOnly")}</Notice>}
      {writable && (
        <>
          <Card title={t("units.rename")} headingLevel={3}>
            <form
              className="pw-admin-form"
              onSubmit={(e) => {
                e.preventDefault();
                void act("rename", () => api.PATCH("/v1/org-units/{unit_id}", { params: { path: { unit_id: unit.id } }, body: { name } }), t("units.renamed", { name }));
              }}
            >
              <Field label={t("units.name")} value={name} onChange={setName} isRequired isInvalid={!!problemFor("rename")} errorMessage={problemFor("rename")} />
              <div className="row">
                <Button type="submit" isDisabled={busy}>
                  {t("units.save")}
                </Button>
              </div>
            </form>
          </Card>
          <Card title={t("units.addChild")} headingLevel={3}>
            <form
              className="pw-admin-form"
              onSubmit={(e) => {
                e.preventDefault();
                void (async () => {
                  setBusy(true);
                  setError(null);
                  setDone(null);
                  const result = await api.POST("/v1/org-units", {
                    body: { parent_id: unit.id, name: child.name, slug: child.slug, kind: child.kind || "organization" },
                  });
                  setBusy(false);
                  const problem = failure(result);
                  if (problem || !result.data) return setError({ where: "child", text: problem ?? "" });
                  setDone(t("units.created", { name: result.data.name }));
                  setChild({ name: "", slug: "", kind: "" });
                  onChanged(result.data.id);
                })();
              }}
            >
              <Field label={t("units.childName")} value={child.name} onChange={(v) => setChild({ ...child, name: v })} isRequired />
              <Field label={t("units.slug")} description={t("units.slugHelp")} value={child.slug} onChange={(v) => setChild({ ...child, slug: v })} isRequired />
              <Field label={t("units.kind")} description={t("units.kindHelp")} value={child.kind} onChange={(v) => setChild({ ...child, kind: v })} />
              {problemFor("child") && <Notice tone="danger">{problemFor("child")}</Notice>}
              <div className="row">
                <Button type="submit" isDisabled={busy}>
                  {t("units.create")}
                </Button>
              </div>
            </form>
          </Card>
          {unit.parent_id !== null && (
            <Card title={t("units.move")} headingLevel={3}>
              <div className="pw-admin-form">
                <Select label={t("units.newParent")} value={parent} options={parents} onChange={setParent} description={t("units.moveHelp")} />
                {problemFor("move") && <Notice tone="danger">{problemFor("move")}</Notice>}
                <div className="row">
                  <Button
                    isDisabled={busy || parent === null || parent === unit.parent_id}
                    onPress={() => void act("move", () => api.PATCH("/v1/org-units/{unit_id}", { params: { path: { unit_id: unit.id } }, body: { parent_id: parent } }), t("units.moved", { name: unit.name }))}
                  >
                    {t("units.moveAction")}
                  </Button>
                </div>
              </div>
            </Card>
          )}
          {unit.parent_id !== null && (
            <Card title={t("units.delete")} headingLevel={3}>
              <p className="muted">{t("units.deleteHelp")}</p>
              {problemFor("delete") && <Notice tone="danger">{problemFor("delete")}</Notice>}
              <div className="row">
                <Button
                  variant="danger"
                  isDisabled={busy}
                  onPress={() => void act("delete", () => api.DELETE("/v1/org-units/{unit_id}", { params: { path: { unit_id: unit.id } } }), t("units.deleted", { name: unit.name }), unit.parent_id)}
                >
                  {t("units.deleteAction", { name: unit.name })}
                </Button>
              </div>
            </Card>
          )}
        </>
      )}
    </section>
  );
}

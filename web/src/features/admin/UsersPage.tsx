import { useState } from "react";
import { Link } from "react-router";
import { api, ok } from "@/api/client";
import { Button, Field } from "@/design/components";
import { useLoad } from "@/lib/useLoad";
import { AdminPage, useT } from "./shared";
import { Loaded } from "@/lib/Loaded";

const PAGE = 25;

/** `/admin/users`: the organization's users, searched by e-mail or name, a page at a time. */
export function UsersPage() {
  const t = useT();
  const [typed, setTyped] = useState("");
  const [query, setQuery] = useState("");
  const [offset, setOffset] = useState(0);
  const [users] = useLoad(
    async () => ok(await api.GET("/v1/users", { params: { query: { q: query || undefined, limit: PAGE, offset } } })),
    [query, offset],
  );
  return (
    <AdminPage title={t("users.title")} intro={t("users.intro")}>
      <form
        role="search"
        aria-label={t("users.search")}
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          setOffset(0);
          setQuery(typed.trim());
        }}
      >
        <Field label={t("users.search")} description={t("users.searchHelp")} value={typed} onChange={setTyped} type="search" />
        <Button type="submit">{t("users.searchAction")}</Button>
      </form>
      <Loaded tone="danger" state={users}>
        {(page) => (
          <>
            <p role="status">
              {page.total === 0
                ? t("users.none")
                : t("users.showing", { from: page.offset + 1, to: page.offset + page.items.length, total: page.total })}
            </p>
            {page.items.length > 0 && (
              <div className="pw-table-wrap">
                <table className="pw-table pw-admin-table">
                  <caption className="visually-hidden">{t("users.table")}</caption>
                  <thead>
                    <tr>
                      <th scope="col">{t("users.name")}</th>
                      <th scope="col">{t("users.email")}</th>
                      <th scope="col">{t("users.status")}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {page.items.map((u) => (
                      <tr key={u.id}>
                        <th scope="row">
                          <Link to={`/admin/users/${u.id}`}>{u.display_name}</Link>
                        </th>
                        <td>{u.email}</td>
                        <td>{u.is_active ? t("users.active") : t("users.inactive")}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
            <div className="row" role="group" aria-label={t("users.pages")}>
              <Button variant="secondary" isDisabled={offset === 0} onPress={() => setOffset(Math.max(0, offset - PAGE))}>
                {t("users.previous")}
              </Button>
              <Button variant="secondary" isDisabled={page.offset + page.items.length >= page.total} onPress={() => setOffset(offset + PAGE)}>
                {t("users.next")}
              </Button>
            </div>
          </>
        )}
      </Loaded>
    </AdminPage>
  );
}

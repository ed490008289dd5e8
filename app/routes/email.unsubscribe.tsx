import { json, type ActionFunctionArgs, type LoaderFunctionArgs } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { getDb } from "~/base/db.server";
import { getEnv } from "~/base/env.server";
import { readForm } from "~/base/form.server";
import { hasOptedOut, readUnsubscribeLink, unsubscribe } from "~/mail/unsubscribe.server";
import type { RouteHandle } from "~/route-handle";
import { routeHeaders } from "~/route-headers";

export const handle: RouteHandle = { pageTitle: (t) => t("unsubscribe.title") };
export const headers = routeHeaders;

/**
 * The link at the end of every mail (取消訂閱). Opening it changes nothing:
 * mail scanners and link previews open links by themselves. It shows what
 * will stop and a button; the post records the opt-out. A link that is not
 * genuine (cut short, or its address or kind changed) gets a page saying so.
 */
const noStore = { "Cache-Control": "no-store" };

export async function loader({ request }: LoaderFunctionArgs) {
  const query = new URL(request.url).searchParams;
  const link = readUnsubscribeLink(getEnv(), query);
  if (!link) return json({ link: null, already: false }, { status: 400, headers: noStore });
  const already = await hasOptedOut(getDb(), link.kind, link.digest);
  return json({ link: { kind: link.kind, a: link.digest, s: query.get("s") ?? "" }, already }, { headers: noStore });
}

export async function action({ request }: ActionFunctionArgs) {
  const form = await readForm(request);
  const query = new URLSearchParams();
  for (const name of ["kind", "a", "s"]) query.set(name, String(form.get(name) ?? "").slice(0, 100));
  const env = getEnv();
  const link = readUnsubscribeLink(env, query);
  if (!link) return json({ done: null }, { status: 400, headers: noStore });
  await unsubscribe(getDb(), env, link);
  return json({ done: link.kind }, { headers: noStore });
}

export default function Unsubscribe() {
  const { link, already } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const { t } = useTranslation();
  const home = (
    <p>
      <Link to="/">{t("unsubscribe.home")}</Link>
    </p>
  );
  if (!link || actionData?.done === null) {
    return (
      <div className="notice notice-warning">
        <h1>{t("unsubscribe.invalidTitle")}</h1>
        <p>{t("unsubscribe.invalid")}</p>
        {home}
      </div>
    );
  }
  const kind = t(`unsubscribe.kinds.${link.kind}`);
  if (actionData?.done || already) {
    return (
      <div className="confirmation" role={actionData?.done ? "status" : undefined}>
        <h1>{t("unsubscribe.doneTitle")}</h1>
        <p>{t(actionData?.done ? "unsubscribe.done" : "unsubscribe.already", { kind })}</p>
        <p>{t("unsubscribe.note")}</p>
        {home}
      </div>
    );
  }
  return (
    <>
      <h1>{t("unsubscribe.title")}</h1>
      <p>{t("unsubscribe.intro")}</p>
      <ul>
        <li>{kind}</li>
      </ul>
      <p>{t("unsubscribe.note")}</p>
      <Form method="post">
        <input type="hidden" name="kind" value={link.kind} />
        <input type="hidden" name="a" value={link.a} />
        <input type="hidden" name="s" value={link.s} />
        <button type="submit" className="button">
          {t("unsubscribe.confirm")}
        </button>
      </Form>
    </>
  );
}

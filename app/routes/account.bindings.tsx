import { json, redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useLocation, useNavigation } from "@remix-run/react";
import { useEffect, useRef } from "react";
import { useTranslation } from "react-i18next";
import { ErrorSummary, IdentifierField, TextField, type FieldError } from "~/components/forms";
import { BINDING_KINDS, BINDING_LABEL_MAX, BINDING_LIMITS, isBindingKind } from "~/domain/member";
import { addBinding, listBindings, removeBinding, renameBinding, type BindingProblem } from "~/members/bindings.server";
import { parseBindingForm, type BindingForm } from "~/members/binding-form.server";
import { requireMember } from "~/members/member-request.server";
import type { RouteHandle } from "~/route-handle";
import { getDb } from "~/base/db.server";
import { getEnv } from "~/base/env.server";
import { readForm } from "~/base/form.server";
import { routeHeaders } from "~/route-headers";

export const handle: RouteHandle = { pageTitle: (t) => t("member.bindings.title") };
export const headers = routeHeaders;

const DONE = ["added", "renamed", "removed"] as const;

export async function loader({ request }: LoaderFunctionArgs) {
  const session = await requireMember(request);
  const done = new URL(request.url).searchParams.get("done");
  return json(
    {
      bindings: await listBindings(getDb(), session.member.id),
      limits: BINDING_LIMITS,
      done: DONE.find((value) => value === done) ?? null,
    },
    { headers: { "Cache-Control": "private, no-store" } },
  );
}

export async function action({ request, context }: ActionFunctionArgs) {
  const session = await requireMember(request);
  const form = parseBindingForm(await readForm(request));
  const audit = { memberId: session.member.id, requestId: context.requestId };
  const db = getDb();
  // What the form sent back, to show again with the problems (never the decrypted numbers).
  const fail = (problems: BindingProblem[]) => json({ problems, echo: form }, { status: problems.includes("not_found") ? 404 : 400 });

  switch (form.intent) {
    case "add": {
      const added = await addBinding(db, getEnv(), audit, { kind: form.kind, value: form.value, label: form.label });
      return added.ok ? redirect("/account/bindings?done=added", 303) : fail(added.problems);
    }
    case "rename": {
      const renamed = await renameBinding(db, audit, { bindingId: form.bindingId, label: form.label });
      return renamed.ok ? redirect("/account/bindings?done=renamed", 303) : fail(renamed.problems);
    }
    case "remove": {
      const removed = await removeBinding(db, audit, { bindingId: form.bindingId });
      return removed.ok ? redirect("/account/bindings?done=removed", 303) : fail(removed.problems);
    }
    default:
      return fail(["not_found"]);
  }
}

/** Which field each problem is about, for the error summary's links. */
function fieldFor(problem: BindingProblem, echo: BindingForm): string | undefined {
  if (echo.intent === "rename") return problem === "label_long" ? `label-${echo.bindingId}` : undefined;
  if (echo.intent !== "add") return undefined;
  if (problem === "kind") return `kind-${BINDING_KINDS[0]}`;
  if (problem === "label_long") return "binding-label";
  if (problem === "not_found") return undefined;
  return "binding-value";
}

export default function Bindings() {
  const { bindings, limits, done } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const navigation = useNavigation();
  const { t } = useTranslation();
  const doneRef = useRef<HTMLDivElement>(null);
  // After a change succeeds the page is a new location: the add form starts empty again, not with the last number and name.
  const { key: locationKey } = useLocation();
  useEffect(() => {
    if (done && !actionData) doneRef.current?.focus();
  }, [done, actionData]);

  const echo = actionData?.echo;
  const adding = echo?.intent === "add" ? echo : null;
  const problemText = (problem: BindingProblem) => {
    const kind = isBindingKind(adding?.kind) ? adding.kind : "vehicle_plate";
    return t(`member.bindings.problems.${problem}`, { kind: t(`member.kinds.${kind}`), limit: limits[kind], max: BINDING_LABEL_MAX });
  };
  const errors: FieldError[] = echo
    ? actionData!.problems.map((problem) => ({ fieldId: fieldFor(problem, echo), message: problemText(problem) }))
    : [];
  const fieldError = (fieldId: string) =>
    errors
      .filter((error) => error.fieldId === fieldId)
      .map((error) => error.message)
      .join(" ") || undefined;
  const busy = navigation.state === "submitting";

  return (
    <>
      <ErrorSummary errors={errors} />
      {done && !echo ? (
        <div ref={doneRef} className="confirmation" role="status" tabIndex={-1}>
          <p>{t(`member.bindings.done.${done}`)}</p>
        </div>
      ) : null}
      <h1>{t("member.bindings.title")}</h1>
      <p className="lead">{t("member.bindings.intro")}</p>
      <p>{t("member.bindings.privacy")}</p>

      {BINDING_KINDS.map((kind) => {
        const mine = bindings.filter((binding) => binding.kind === kind);
        return (
          <section key={kind} aria-labelledby={`kind-heading-${kind}`}>
            <h2 id={`kind-heading-${kind}`}>
              {t(`member.kindsPlural.${kind}`)}{" "}
              <span className="pending-group-total">{t("member.bindings.usage", { used: mine.length, limit: limits[kind] })}</span>
            </h2>
            {mine.length === 0 ? (
              <p>{t("member.bindings.noneOfKind")}</p>
            ) : (
              <ul className="binding-list">
                {mine.map((binding) => {
                  const renameError =
                    echo?.intent === "rename" && echo.bindingId === binding.id ? fieldError(`label-${binding.id}`) : undefined;
                  return (
                    <li key={binding.id} className="binding-item">
                      <h3>
                        <span className="identifier">{binding.valueMasked}</span>
                        {binding.label ? `（${binding.label}）` : null}
                      </h3>
                      <div className="binding-actions">
                        <Form method="post">
                          <input type="hidden" name="intent" value="rename" />
                          <input type="hidden" name="bindingId" value={binding.id} />
                          <div className={renameError ? "form-group-error" : undefined}>
                            <label htmlFor={`label-${binding.id}`}>
                              {t("member.bindings.renameLabel", { number: binding.valueMasked })}
                            </label>
                            {renameError ? (
                              <span id={`label-${binding.id}-error`} className="field-error">
                                <span className="visually-hidden">{t("form.errorPrefix")}</span> {renameError}
                              </span>
                            ) : null}
                            <input
                              id={`label-${binding.id}`}
                              name="label"
                              defaultValue={renameError ? echo!.label : binding.label}
                              maxLength={BINDING_LABEL_MAX * 2}
                              aria-invalid={renameError ? true : undefined}
                              aria-describedby={renameError ? `label-${binding.id}-error` : undefined}
                            />
                          </div>
                          <button type="submit" className="button button-secondary" disabled={busy}>
                            {t("member.bindings.renameSubmit")}
                          </button>
                        </Form>
                        <Form method="post">
                          <input type="hidden" name="intent" value="remove" />
                          <input type="hidden" name="bindingId" value={binding.id} />
                          <button type="submit" className="button button-secondary" disabled={busy}>
                            {t("member.bindings.removeSubmit", { number: binding.valueMasked })}
                          </button>
                        </Form>
                      </div>
                    </li>
                  );
                })}
              </ul>
            )}
          </section>
        );
      })}

      <section aria-labelledby="add-heading">
        <h2 id="add-heading">{t("member.bindings.addHeading")}</h2>
        <Form method="post" noValidate key={done ? locationKey : "add"}>
          <input type="hidden" name="intent" value="add" />
          <fieldset className={fieldError(`kind-${BINDING_KINDS[0]}`) ? "form-group form-group-error" : "form-group"}>
            <legend>{t("member.bindings.kindLegend")}</legend>
            {fieldError(`kind-${BINDING_KINDS[0]}`) ? <span className="field-error">{fieldError(`kind-${BINDING_KINDS[0]}`)}</span> : null}
            {BINDING_KINDS.map((kind) => (
              <div className="radio" key={kind}>
                <input
                  type="radio"
                  id={`kind-${kind}`}
                  name="kind"
                  value={kind}
                  defaultChecked={(adding?.kind ?? "vehicle_plate") === kind}
                  aria-describedby={`kind-${kind}-hint`}
                />
                <label htmlFor={`kind-${kind}`}>{t(`member.kinds.${kind}`)}</label>
                <span className="hint" id={`kind-${kind}-hint`}>
                  {t(`member.bindings.formats.${kind}`)}
                </span>
              </div>
            ))}
          </fieldset>
          <IdentifierField
            id="binding-value"
            name="value"
            label={t("member.bindings.valueLabel")}
            hint={t("member.bindings.valueHint")}
            defaultValue={adding?.value}
            error={fieldError("binding-value")}
            required
          />
          <TextField
            id="binding-label"
            name="label"
            label={t("member.bindings.labelLabel")}
            hint={t("member.bindings.labelHint", { max: BINDING_LABEL_MAX })}
            defaultValue={adding?.label}
            error={fieldError("binding-label")}
            autoComplete="off"
          />
          <button type="submit" className="button" disabled={busy}>
            {t("member.bindings.addSubmit")}
          </button>
        </Form>
      </section>
      <p>
        <Link to="/account">{t("member.bindings.backToDashboard")}</Link>
      </p>
    </>
  );
}

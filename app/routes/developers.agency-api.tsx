import { json } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { agencyApiReference } from "~/agency-api/reference.server";
import type { RouteHandle } from "~/route-handle";
import { routeHeaders } from "~/route-headers";

export const handle: RouteHandle = { pageTitle: (t) => t("pages.agencyApi.title") };
export const headers = routeHeaders;

/** The agency API's reference, generated from its OpenAPI document (app/agency-api/contract.server.ts). */
export function loader() {
  return json(agencyApiReference(), { headers: { "Cache-Control": "public, max-age=300" } });
}

export default function AgencyApiReference() {
  const { t } = useTranslation();
  const reference = useLoaderData<typeof loader>();
  const { signing } = reference;
  return (
    <div className="api-reference">
      <h1>{t("pages.agencyApi.title")}</h1>
      <p className="lead">{t("pages.agencyApi.intro", { version: reference.version })}</p>
      <p>
        <a href="/api/agency/v1/openapi.json">{t("pages.agencyApi.documentLink")}</a>
      </p>
      <nav aria-labelledby="agency-api-contents">
        <h2 id="agency-api-contents">{t("pages.agencyApi.contents")}</h2>
        <ul>
          <li>
            <a href="#signing">{t("pages.agencyApi.signingHeading")}</a>
          </li>
          {reference.operations.map((operation) => (
            <li key={operation.id}>
              <a href={`#operation-${operation.id}`}>
                <code>
                  {operation.method} {operation.path}
                </code>{" "}
                {operation.summary}
              </a>
            </li>
          ))}
          <li>
            <a href="#refusals">{t("pages.agencyApi.refusalsHeading")}</a>
          </li>
          <li>
            <a href="#schemas">{t("pages.agencyApi.schemasHeading")}</a>
          </li>
        </ul>
      </nav>

      <section aria-labelledby="signing">
        <h2 id="signing">{t("pages.agencyApi.signingHeading")}</h2>
        <p>{t("pages.agencyApi.signingIntro")}</p>
        <ol>
          {t("pages.agencyApi.signingSteps", { returnObjects: true }).map((step) => (
            <li key={step}>{step}</li>
          ))}
        </ol>
        <h3>{t("pages.agencyApi.exampleHeading")}</h3>
        <dl>
          <dt>{t("pages.agencyApi.exampleSecret")}</dt>
          <dd>
            <code>{signing.secret}</code>
          </dd>
          <dt>{t("pages.agencyApi.exampleBody")}</dt>
          <dd>
            <pre>
              <code>{signing.body}</code>
            </pre>
          </dd>
          <dt>{t("pages.agencyApi.exampleCanonical")}</dt>
          <dd>
            <pre>
              <code>{signing.canonical}</code>
            </pre>
          </dd>
          <dt>{t("pages.agencyApi.exampleSignature")}</dt>
          <dd>
            <code>{signing.signature}</code>
          </dd>
        </dl>
      </section>

      {reference.operations.map((operation) => (
        <section key={operation.id} aria-labelledby={`operation-${operation.id}`}>
          <h2 id={`operation-${operation.id}`}>
            <code>
              {operation.method} {operation.path}
            </code>
          </h2>
          <p>
            <strong>{operation.summary}</strong> {operation.description}
          </p>
          <p>{operation.signed ? t("pages.agencyApi.signed") : t("pages.agencyApi.unsigned")}</p>
          {operation.parameters.length > 0 && (
            <table>
              <caption>{t("pages.agencyApi.parametersCaption", { operation: operation.id })}</caption>
              <thead>
                <tr>
                  <th scope="col">{t("pages.agencyApi.name")}</th>
                  <th scope="col">{t("pages.agencyApi.where")}</th>
                  <th scope="col">{t("pages.agencyApi.type")}</th>
                  <th scope="col">{t("pages.agencyApi.description")}</th>
                </tr>
              </thead>
              <tbody>
                {operation.parameters.map((parameter) => (
                  <tr key={`${parameter.in}-${parameter.name}`}>
                    <th scope="row">
                      <code>{parameter.name}</code>
                      {parameter.required ? ` (${t("pages.agencyApi.required")})` : ""}
                    </th>
                    <td>{parameter.in}</td>
                    <td>
                      <code>
                        <TypeText text={parameter.type} />
                      </code>
                    </td>
                    <td>{parameter.description}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {operation.body && (
            <p>
              {t("pages.agencyApi.body")}{" "}
              <a href={`#schema-${operation.body}`}>
                <code>{operation.body}</code>
              </a>
            </p>
          )}
          <table>
            <caption>{t("pages.agencyApi.responsesCaption", { operation: operation.id })}</caption>
            <thead>
              <tr>
                <th scope="col">{t("pages.agencyApi.status")}</th>
                <th scope="col">{t("pages.agencyApi.type")}</th>
                <th scope="col">{t("pages.agencyApi.description")}</th>
              </tr>
            </thead>
            <tbody>
              {operation.responses.map((response) => (
                <tr key={response.status}>
                  <th scope="row">{response.status}</th>
                  <td>
                    <code>
                      <TypeText text={response.type} />
                    </code>
                  </td>
                  <td>{response.description}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ))}

      <section aria-labelledby="refusals">
        <h2 id="refusals">{t("pages.agencyApi.refusalsHeading")}</h2>
        <p>{t("pages.agencyApi.refusalsIntro")}</p>
        <table>
          <caption>{t("pages.agencyApi.refusalsCaption")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("pages.agencyApi.code")}</th>
              <th scope="col">{t("pages.agencyApi.status")}</th>
              <th scope="col">{t("pages.agencyApi.whatToDo")}</th>
            </tr>
          </thead>
          <tbody>
            {reference.refusals.map((refusal) => (
              <tr key={refusal.code} id={`refusal-${refusal.code}`}>
                <th scope="row">
                  <code>{refusal.code}</code>
                </th>
                <td>{refusal.status === 200 ? t("pages.agencyApi.inItsRow") : refusal.status}</td>
                <td>{refusal.meaning}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>

      <section aria-labelledby="schemas">
        <h2 id="schemas">{t("pages.agencyApi.schemasHeading")}</h2>
        {reference.schemas.map((schema) => (
          <section key={schema.name} aria-labelledby={`schema-${schema.name}`}>
            <h3 id={`schema-${schema.name}`}>
              <code>{schema.name}</code>
            </h3>
            {schema.description && <p>{schema.description}</p>}
            {schema.properties.length > 0 && (
              <table>
                <caption>{t("pages.agencyApi.fieldsCaption", { schema: schema.name })}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t("pages.agencyApi.name")}</th>
                    <th scope="col">{t("pages.agencyApi.type")}</th>
                    <th scope="col">{t("pages.agencyApi.description")}</th>
                  </tr>
                </thead>
                <tbody>
                  {schema.properties.map((property) => (
                    <tr key={property.name}>
                      <th scope="row">
                        <code>{property.name}</code>
                        {property.required ? ` (${t("pages.agencyApi.required")})` : ""}
                      </th>
                      <td>
                        <code>
                          <TypeText text={property.type} />
                        </code>
                      </td>
                      <td>{property.description}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
        ))}
      </section>
    </div>
  );
}

/** A type's words, its bounds kept whole: a line may break inside a long name, never inside a number (1–999999999). */
function TypeText({ text }: { text: string }) {
  return (
    <>
      {text.split(/(\d{4,})/).map((part, i) =>
        i % 2 === 1 ? (
          <span key={i} className="api-number">
            {part}
          </span>
        ) : (
          part
        ),
      )}
    </>
  );
}

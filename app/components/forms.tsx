import { createContext, useContext, useEffect, useRef, type MouseEvent, type ReactNode } from "react";
import { useTranslation } from "react-i18next";

export interface FieldError {
  /** The field to fix; a problem with the whole form has none. */
  fieldId?: string;
  message: string;
}

/** Tells the layout that an error summary is on the page, so the page's title begins with "Error:". */
export const ErrorSummaryShownContext = createContext<(shown: boolean) => void>(() => {});

/**
 * The list of problems at the top of a form, each linking to its field. It
 * takes focus when it appears (autoFocus covers pages without JavaScript) so
 * screen-reader and keyboard users start from it.
 */
export function ErrorSummary({ errors }: { errors: FieldError[] }) {
  const { t } = useTranslation();
  const ref = useRef<HTMLDivElement>(null);
  // Focus when a new set of problems appears, not on every render: following one of
  // the summary's links re-renders the page, and must leave focus on the field.
  const signature = errors.map((error) => `${error.fieldId ?? ""}:${error.message}`).join("|");
  useEffect(() => {
    if (signature) ref.current?.focus();
  }, [signature]);
  const setShown = useContext(ErrorSummaryShownContext);
  useEffect(() => {
    if (!signature) return;
    setShown(true);
    return () => setShown(false);
  }, [signature, setShown]);
  if (errors.length === 0) return null;
  return (
    // eslint-disable-next-line jsx-a11y/no-autofocus -- moving focus to the summary is the point
    <div ref={ref} className="error-summary" tabIndex={-1} aria-labelledby="error-summary-title" role="alert" autoFocus>
      <h2 id="error-summary-title">{t("form.errorSummaryTitle")}</h2>
      <ul>
        {errors.map((error) => (
          <li key={error.fieldId ?? error.message}>
            {error.fieldId ? (
              <a href={`#${error.fieldId}`} onClick={(event) => focusField(event, error.fieldId!)}>
                {error.message}
              </a>
            ) : (
              error.message
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}

/**
 * With JavaScript, a summary link moves focus to its field with the label in
 * view, as GOV.UK Frontend does, instead of changing the URL's hash: to
 * Remix a hash change is a navigation, which would clear the errors shown.
 * Without JavaScript the plain anchor does the job.
 */
function focusField(event: MouseEvent<HTMLAnchorElement>, fieldId: string) {
  const field = document.getElementById(fieldId);
  if (!field) return;
  event.preventDefault();
  const label = document.querySelector(`label[for="${fieldId}"]`) ?? field;
  label.scrollIntoView({ block: "start" });
  field.focus({ preventScroll: true });
}

interface FieldShellProps {
  id: string;
  label: string;
  hint?: string;
  error?: string;
  required?: boolean;
  children: (describedBy: string | undefined) => ReactNode;
}

function FieldShell({ id, label, hint, error, required, children }: FieldShellProps) {
  const { t } = useTranslation();
  const describedBy = [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean).join(" ") || undefined;
  return (
    <div className={error ? "form-group form-group-error" : "form-group"}>
      <label htmlFor={id}>
        {label} <span className="hint-inline">{required ? t("a11y.required") : t("a11y.optional")}</span>
      </label>
      {hint ? (
        <span id={`${id}-hint`} className="hint">
          {hint}
        </span>
      ) : null}
      {error ? (
        <span id={`${id}-error`} className="field-error">
          <span className="visually-hidden">{t("form.errorPrefix")}</span> {error}
        </span>
      ) : null}
      {children(describedBy)}
    </div>
  );
}

type InputProps = Omit<FieldShellProps, "children"> & {
  name: string;
  /** "file": the form posts multipart/form-data; a browser never keeps a chosen file after a refusal. */
  type?: "text" | "email" | "tel" | "date" | "file";
  /** For a file: the kinds of file to offer. */
  accept?: string;
  defaultValue?: string;
  autoComplete?: string;
  inputMode?: "text" | "email" | "tel" | "numeric";
  spellCheck?: boolean;
  autoCapitalize?: string;
  maxLength?: number;
  className?: string;
};

export function TextField({
  name,
  type = "text",
  defaultValue,
  autoComplete,
  inputMode,
  spellCheck,
  autoCapitalize,
  maxLength,
  className,
  accept,
  ...shell
}: InputProps) {
  return (
    <FieldShell {...shell}>
      {(describedBy) => (
        <input
          id={shell.id}
          name={name}
          type={type}
          defaultValue={defaultValue}
          autoComplete={autoComplete}
          inputMode={inputMode}
          spellCheck={spellCheck}
          autoCapitalize={autoCapitalize}
          maxLength={maxLength}
          className={className}
          accept={accept}
          aria-describedby={describedBy}
          aria-invalid={shell.error ? true : undefined}
          required={shell.required}
        />
      )}
    </FieldShell>
  );
}

/**
 * A field for a code printed on a bill (write-off number, barcode text): no
 * autocomplete or spelling help, capitals on phone keyboards, monospaced.
 */
export function IdentifierField(props: Omit<InputProps, "type" | "autoComplete" | "autoCapitalize" | "spellCheck" | "className">) {
  return (
    <TextField maxLength={40} {...props} autoComplete="off" autoCapitalize="characters" spellCheck={false} className="input-identifier" />
  );
}

export function TextAreaField({
  name,
  defaultValue,
  rows = 8,
  ...shell
}: Omit<FieldShellProps, "children"> & { name: string; defaultValue?: string; rows?: number }) {
  return (
    <FieldShell {...shell}>
      {(describedBy) => (
        <textarea
          id={shell.id}
          name={name}
          rows={rows}
          defaultValue={defaultValue}
          aria-describedby={describedBy}
          aria-invalid={shell.error ? true : undefined}
          required={shell.required}
        />
      )}
    </FieldShell>
  );
}

export function SelectField({
  name,
  defaultValue,
  placeholder,
  options,
  ...shell
}: Omit<FieldShellProps, "children"> & {
  name: string;
  defaultValue?: string;
  placeholder: string;
  options: Array<{ value: string; label: string }>;
}) {
  return (
    <FieldShell {...shell}>
      {(describedBy) => (
        <select
          id={shell.id}
          name={name}
          defaultValue={defaultValue ?? ""}
          aria-describedby={describedBy}
          aria-invalid={shell.error ? true : undefined}
          required={shell.required}
        >
          <option value="">{placeholder}</option>
          {options.map((option) => (
            <option key={option.value} value={option.value}>
              {option.label}
            </option>
          ))}
        </select>
      )}
    </FieldShell>
  );
}

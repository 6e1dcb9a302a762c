import { useState } from "react";
import { useIntl } from "react-intl";
import {
  Button as AriaButton,
  Checkbox,
  CheckboxGroup,
  GridList,
  GridListItem,
  Label,
  ListBox,
  ListBoxItem,
  Popover,
  Radio,
  RadioGroup,
  Select,
  SelectValue,
  useDragAndDrop,
} from "react-aria-components";
import { Field } from "@/design/components";
import { label, moved, optionIds, type Draft, type Item } from "./logic";

interface Props {
  item: Item;
  draft: Draft;
  onChange: (draft: Draft) => void;
  /** The id of the element that shows the question, which names each input group. */
  stemId: string;
  disabled: boolean;
}

/** The answer controls for one item, by kind; every one works with the keyboard alone. */
export function ItemInput({ item, draft, onChange, stemId, disabled }: Props) {
  const intl = useIntl();
  switch (item.kind) {
    case "multiple_choice":
      return (
        <RadioGroup
          aria-labelledby={stemId}
          value={draft.choice ?? null}
          onChange={(choice) => onChange({ ...draft, choice })}
          isDisabled={disabled}
          className="pw-choices"
        >
          {optionIds(item, "choices").map((id) => (
            <Radio key={id} value={id} className="pw-choice">
              <span aria-hidden="true" className="pw-choice__mark pw-choice__mark--radio" />
              {label(item, "choices", id)}
            </Radio>
          ))}
        </RadioGroup>
      );
    case "multiple_response":
      return (
        <CheckboxGroup
          aria-labelledby={stemId}
          value={draft.choices ?? []}
          onChange={(choices) => onChange({ ...draft, choices })}
          isDisabled={disabled}
          className="pw-choices"
        >
          {optionIds(item, "choices").map((id) => (
            <Checkbox key={id} value={id} className="pw-choice">
              {({ isSelected }) => (
                <>
                  <span aria-hidden="true" className="pw-choice__mark pw-choice__mark--check">
                    {isSelected ? "✓" : ""}
                  </span>
                  {label(item, "choices", id)}
                </>
              )}
            </Checkbox>
          ))}
        </CheckboxGroup>
      );
    case "numeric":
      return (
        <Field
          label={intl.formatMessage({ id: "quiz.numberLabel" })}
          description={
            typeof item.body.unit === "string" && item.body.unit
              ? intl.formatMessage({ id: "quiz.unit" }, { unit: item.body.unit })
              : intl.formatMessage({ id: "quiz.numberHint" })
          }
          inputMode="decimal"
          value={draft.text ?? ""}
          onChange={(text) => onChange({ ...draft, text })}
          isDisabled={disabled}
        />
      );
    case "short_text":
      return (
        <Field
          label={intl.formatMessage({ id: "quiz.textLabel" })}
          value={draft.text ?? ""}
          onChange={(text) => onChange({ ...draft, text })}
          isDisabled={disabled}
        />
      );
    case "essay":
    case "code":
      return (
        <Field
          label={intl.formatMessage({ id: item.kind === "code" ? "quiz.codeLabel" : "quiz.essayLabel" })}
          multiline
          rows={10}
          value={draft.text ?? ""}
          onChange={(text) => onChange({ ...draft, text })}
          isDisabled={disabled}
        />
      );
    case "ordering":
      return <Ordering item={item} draft={draft} onChange={onChange} stemId={stemId} disabled={disabled} />;
    case "matching":
      return <Matching item={item} draft={draft} onChange={onChange} stemId={stemId} disabled={disabled} />;
    default:
      return <p className="muted">{intl.formatMessage({ id: "quiz.unsupported" }, { kind: item.kind })}</p>;
  }
}

/**
 * Put entries in order: a react-aria GridList whose rows are dragged (mouse, touch, or the keyboard:
 * the handle, Enter, arrows, Enter) or moved one place with their own Move up / Move down buttons.
 * Each move is announced.
 */
function Ordering({ item, draft, onChange, stemId, disabled }: Props) {
  const intl = useIntl();
  const order = draft.order ?? [];
  const [said, setSaid] = useState("");
  const text = (id: string) => label(item, "items", id);

  const move = (index: number, delta: number) => {
    const next = moved(order, index, delta);
    onChange({ ...draft, order: next });
    const id = order[index];
    setSaid(intl.formatMessage({ id: "quiz.moved" }, { item: text(id), position: next.indexOf(id) + 1, count: next.length }));
  };

  const { dragAndDropHooks } = useDragAndDrop({
    getItems: (keys) => [...keys].map((key) => ({ "text/plain": text(String(key)) })),
    onReorder: (event) => {
      const moving = [...event.keys].map(String);
      const rest = order.filter((id) => !moving.includes(id));
      const at = rest.indexOf(String(event.target.key)) + (event.target.dropPosition === "after" ? 1 : 0);
      onChange({ ...draft, order: [...rest.slice(0, at), ...moving, ...rest.slice(at)] });
    },
    isDisabled: disabled,
  });

  return (
    <>
      <p className="muted" id={`${stemId}-how`}>
        {intl.formatMessage({ id: "quiz.orderHow" })}
      </p>
      <GridList
        aria-labelledby={stemId}
        aria-describedby={`${stemId}-how`}
        items={order.map((id) => ({ id }))}
        dragAndDropHooks={dragAndDropHooks}
        className="pw-order"
      >
        {(entry) => {
          const index = order.indexOf(entry.id);
          const name = text(entry.id);
          return (
            <GridListItem id={entry.id} textValue={name} className="pw-order__row">
              <AriaButton slot="drag" className="pw-order__handle" aria-label={intl.formatMessage({ id: "quiz.drag" }, { item: name })}>
                <span aria-hidden="true">⠿</span>
              </AriaButton>
              <span className="pw-order__text">
                <span className="pw-order__pos">{index + 1}.</span> {name}
              </span>
              <AriaButton
                className="pw-order__move"
                aria-label={intl.formatMessage({ id: "quiz.moveUp" }, { item: name })}
                isDisabled={disabled || index === 0}
                onPress={() => move(index, -1)}
              >
                <span aria-hidden="true">↑</span>
              </AriaButton>
              <AriaButton
                className="pw-order__move"
                aria-label={intl.formatMessage({ id: "quiz.moveDown" }, { item: name })}
                isDisabled={disabled || index === order.length - 1}
                onPress={() => move(index, 1)}
              >
                <span aria-hidden="true">↓</span>
              </AriaButton>
            </GridListItem>
          );
        }}
      </GridList>
      <span className="visually-hidden" role="status">
        {said}
      </span>
    </>
  );
}

/** Match each prompt: one labelled react-aria Select per prompt, offering every option. */
function Matching({ item, draft, onChange, stemId, disabled }: Props) {
  const intl = useIntl();
  const pairs = draft.pairs ?? {};
  const options = optionIds(item, "options");
  return (
    <div className="stack" role="group" aria-labelledby={stemId}>
      {optionIds(item, "prompts").map((prompt) => (
        <Select
          key={prompt}
          selectedKey={pairs[prompt] ?? null}
          onSelectionChange={(key) => onChange({ ...draft, pairs: { ...pairs, [prompt]: String(key) } })}
          isDisabled={disabled}
          placeholder={intl.formatMessage({ id: "quiz.matchPlaceholder" })}
          className="pw-field pw-match"
        >
          <Label className="pw-field__label">{label(item, "prompts", prompt)}</Label>
          <AriaButton className="pw-field__input pw-select">
            <SelectValue />
            <span aria-hidden="true">▾</span>
          </AriaButton>
          <Popover className="pw-popover">
            <ListBox className="pw-listbox">
              {options.map((option) => (
                <ListBoxItem key={option} id={option} className="pw-listbox__item">
                  {option}
                </ListBoxItem>
              ))}
            </ListBox>
          </Popover>
        </Select>
      ))}
    </div>
  );
}

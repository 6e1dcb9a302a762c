import { getLocalTimeZone, now, type ZonedDateTime } from "@internationalized/date";
import {
  Button as AriaButton,
  Calendar,
  CalendarCell,
  CalendarGrid,
  DateInput,
  DatePicker,
  DateSegment,
  Dialog as AriaDialog,
  Group,
  Heading,
  Label,
  Popover,
  Text,
} from "react-aria-components";

/** The soonest time worth offering: the next whole minute after one from now. */
export function soon(): ZonedDateTime {
  return now(getLocalTimeZone()).add({ minutes: 2 }).set({ second: 0, millisecond: 0 });
}

/** A date and time in the device's time zone (react-aria's DatePicker: typed segment by segment, or
 * picked from a calendar), sent to the API as an absolute UTC time. */
export function SchedulePicker({
  label,
  description,
  value,
  onChange,
}: {
  label: string;
  description: string;
  value: ZonedDateTime;
  onChange: (value: ZonedDateTime) => void;
}) {
  return (
    <DatePicker
      value={value}
      onChange={(v) => v && onChange(v)}
      granularity="minute"
      hideTimeZone={false}
      className="pw-field pw-pub-date"
    >
      <Label className="pw-field__label">{label}</Label>
      <Group className="pw-field__input pw-pub-date__group">
        <DateInput className="pw-pub-date__input">
          {(segment) => <DateSegment segment={segment} className="pw-pub-date__segment" />}
        </DateInput>
        <AriaButton className="pw-button pw-button--quiet pw-pub-date__button">▾</AriaButton>
      </Group>
      <Text slot="description" className="pw-field__description">
        {description}
      </Text>
      <Popover className="pw-popover">
        <AriaDialog className="pw-pub-calendar">
          <Calendar>
            <header className="row">
              <AriaButton slot="previous" className="pw-button pw-button--quiet">
                ‹
              </AriaButton>
              <Heading />
              <AriaButton slot="next" className="pw-button pw-button--quiet">
                ›
              </AriaButton>
            </header>
            <CalendarGrid>{(date) => <CalendarCell date={date} className="pw-pub-calendar__cell" />}</CalendarGrid>
          </Calendar>
        </AriaDialog>
      </Popover>
    </DatePicker>
  );
}

/** The channel form ↔ alerts.channels.create / update. Pure. */
import { formatDuration } from "../../shared/duration";
import { type ChannelFormValues, emptyChannelFormValues } from "../../components/forms/ChannelForm";
import { splitList } from "../../components/forms/rule-values";
import type { ChannelItem } from "./api-types";
import { fieldMapper } from "./form-errors";

/** The form's values for a stored channel; the URL and secret stay empty ("keep the stored one"). */
export function channelValuesFrom(channel: ChannelItem): ChannelFormValues {
  return {
    ...emptyChannelFormValues(),
    name: channel.name,
    kind: channel.kind,
    matchers: channel.matchers.map((m) => ({ ...m })),
    groupBy: channel.groupBy.join(", "),
    groupWait: formatDuration(channel.groupWaitMs),
    groupInterval: formatDuration(channel.groupIntervalMs),
    repeatInterval: formatDuration(channel.repeatIntervalMs),
    sendResolved: channel.sendResolved,
    enabled: channel.enabled,
  };
}

/** The create input (durations as text; the server parses and checks them). */
export function channelCreateInput(v: ChannelFormValues) {
  return {
    name: v.name,
    kind: v.kind,
    url: v.url,
    ...(v.secret !== "" ? { secret: v.secret } : {}),
    matchers: v.matchers,
    groupBy: splitList(v.groupBy),
    groupWait: v.groupWait.trim(),
    groupInterval: v.groupInterval.trim(),
    repeatInterval: v.repeatInterval.trim(),
    sendResolved: v.sendResolved,
    enabled: v.enabled,
  };
}

/** The update patch: an empty URL or secret keeps the stored one. */
export function channelPatch(v: ChannelFormValues) {
  const { url, secret, ...rest } = channelCreateInput(v);
  return { ...rest, ...(url.trim() !== "" ? { url } : {}), ...(secret !== undefined ? { secret } : {}) };
}

export const channelFieldMapper = fieldMapper(["name", "kind", "url", "secret", "matchers", "groupBy", "groupWait", "groupInterval", "repeatInterval"]);

// Discord's JSON shapes, as much of each as discord.js reads. Ids are snowflakes: a millisecond
// timestamp (since Discord's epoch) shifted left 22 bits, plus a counter.

const DISCORD_EPOCH = 1_420_070_400_000n;
let counter = 0n;

export function snowflake(): string {
  counter = (counter + 1n) % 4096n;
  return String(((BigInt(Date.now()) - DISCORD_EPOCH) << 22n) + counter);
}

export interface DiscordUser {
  id: string;
  username: string;
  discriminator: string;
  global_name: string | null;
  avatar: null;
  bot?: boolean;
}

export function user(id: string, username: string, bot = false): DiscordUser {
  return { id, username, discriminator: "0", global_name: username, avatar: null, ...(bot ? { bot } : {}) };
}

export const CHANNEL_TYPES = { text: 0, dm: 1, thread: 11 } as const;

export interface DiscordChannel {
  id: string;
  type: number;
  guild_id?: string;
  name?: string;
  parent_id?: string | null;
  recipients?: DiscordUser[];
  [key: string]: unknown;
}

export function textChannel(id: string, guildId: string, name: string): DiscordChannel {
  return {
    id,
    type: CHANNEL_TYPES.text,
    guild_id: guildId,
    name,
    position: 0,
    permission_overwrites: [],
    parent_id: null,
    topic: null,
    nsfw: false,
    last_message_id: null,
    rate_limit_per_user: 0,
  };
}

export function thread(
  id: string,
  guildId: string,
  parentId: string,
  name: string,
  ownerId: string,
): DiscordChannel {
  return {
    id,
    type: CHANNEL_TYPES.thread,
    guild_id: guildId,
    parent_id: parentId,
    name,
    owner_id: ownerId,
    last_message_id: null,
    rate_limit_per_user: 0,
    message_count: 0,
    member_count: 1,
    thread_metadata: {
      archived: false,
      auto_archive_duration: 1440,
      archive_timestamp: new Date().toISOString(),
      locked: false,
    },
  };
}

export function dmChannel(id: string, recipient: DiscordUser): DiscordChannel {
  return { id, type: CHANNEL_TYPES.dm, recipients: [recipient], last_message_id: null };
}

export interface DiscordMessage {
  id: string;
  channel_id: string;
  guild_id?: string;
  author: DiscordUser;
  content: string;
  timestamp: string;
  edited_timestamp: string | null;
  mentions: DiscordUser[];
  [key: string]: unknown;
}

export function message(
  channel: DiscordChannel,
  author: DiscordUser,
  content: string,
  mentions: DiscordUser[],
): DiscordMessage {
  return {
    id: snowflake(),
    channel_id: channel.id,
    // The gateway says what kind of channel it is: a client learns of a DM channel this way.
    channel_type: channel.type,
    ...(channel.guild_id ? { guild_id: channel.guild_id } : {}),
    author,
    content,
    timestamp: new Date().toISOString(),
    edited_timestamp: null,
    tts: false,
    mention_everyone: false,
    mentions,
    mention_roles: [],
    attachments: [],
    embeds: [],
    pinned: false,
    type: 0,
    flags: 0,
  };
}

export function guild(
  id: string,
  name: string,
  ownerId: string,
  channels: DiscordChannel[],
  threads: DiscordChannel[],
) {
  return {
    id,
    name,
    icon: null,
    splash: null,
    discovery_splash: null,
    banner: null,
    description: null,
    owner_id: ownerId,
    afk_channel_id: null,
    afk_timeout: 300,
    verification_level: 0,
    default_message_notifications: 0,
    explicit_content_filter: 0,
    mfa_level: 0,
    nsfw_level: 0,
    premium_tier: 0,
    premium_progress_bar_enabled: false,
    preferred_locale: "en-US",
    system_channel_id: null,
    vanity_url_code: null,
    application_id: null,
    features: [],
    roles: [
      {
        id,
        name: "@everyone",
        permissions: "2248473465835073",
        position: 0,
        color: 0,
        hoist: false,
        managed: false,
        mentionable: false,
        flags: 0,
      },
    ],
    emojis: [],
    stickers: [],
    joined_at: new Date().toISOString(),
    large: false,
    unavailable: false,
    member_count: 2,
    members: [],
    channels,
    threads,
    presences: [],
    voice_states: [],
    stage_instances: [],
    guild_scheduled_events: [],
  };
}

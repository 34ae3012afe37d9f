"""Chat bots (Telegram, Slack): a second door to the same domain operations as the HTTP API.

`commands` (the command and button table) and `sharing` (the /share flow) hold what the
bot does on every platform, over `turns` (Turn in, Reply out) and `rendering` (how posts
and people read); `telegram` and `slack` translate their payloads into turns and render
replies back; `notifications` tells people in their chat what concerns them and
`announcements` keeps each group chat's message about each post up to date.
"""

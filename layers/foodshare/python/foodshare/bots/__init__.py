"""Chat bots (Telegram, Slack): a second door to the same domain operations as the HTTP API.

`dialogue` holds the command semantics shared by both platforms; `telegram` and `slack`
translate their payloads into turns and render replies back; `notifications` tells
people in their chat what concerns them.
"""

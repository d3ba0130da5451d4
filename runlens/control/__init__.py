"""Control of running agents: commands recorded by the API, fetched and acknowledged by the
agent side (outbound only), and the budget rule that terminates runs on its own."""

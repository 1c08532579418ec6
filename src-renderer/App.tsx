/** The editor window: grows into the full layout as the pieces land. */
export function App() {
  return (
    <main className="app" aria-label="Stylemap Studio editor">
      <p>Stylemap Studio</p>
    </main>
  )
}

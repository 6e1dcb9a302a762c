import { useState } from "react";
import { EditorContent, useEditor, useEditorState } from "@tiptap/react";
import StarterKit from "@tiptap/starter-kit";
import { Toolbar, ToggleButton, Button as AriaButton } from "react-aria-components";
import { Button, Notice } from "@/design/components";
import { useT } from "./useT";

/**
 * The page text in a WYSIWYG editor (TipTap). It saves HTML; the server cleans it with its nh3 policy
 * and the cleaned text, which is what learners get, is shown after each save.
 */
export function PageEditor({ initial, onSave }: { initial: string; onSave: (html: string) => Promise<{ content?: string; problem?: string }> }) {
  const t = useT();
  const [saved, setSaved] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const editor = useEditor({
    extensions: [StarterKit.configure({ heading: { levels: [2, 3, 4] }, link: { openOnClick: false } })],
    content: initial,
    editorProps: {
      attributes: {
        role: "textbox",
        "aria-multiline": "true",
        "aria-labelledby": "studio-page-label",
        class: "pw-studio__editor pw-prose",
      },
    },
    immediatelyRender: true,
  });
  const state = useEditorState({
    editor,
    selector: ({ editor: e }) => ({
      bold: e?.isActive("bold") ?? false,
      italic: e?.isActive("italic") ?? false,
      h2: e?.isActive("heading", { level: 2 }) ?? false,
      h3: e?.isActive("heading", { level: 3 }) ?? false,
      bullets: e?.isActive("bulletList") ?? false,
      numbers: e?.isActive("orderedList") ?? false,
      quote: e?.isActive("blockquote") ?? false,
      code: e?.isActive("codeBlock") ?? false,
    }),
  });
  if (!editor) return null;
  const chain = () => editor.chain().focus();
  const tools: { key: keyof NonNullable<typeof state>; run: () => void }[] = [
    { key: "bold", run: () => chain().toggleBold().run() },
    { key: "italic", run: () => chain().toggleItalic().run() },
    { key: "h2", run: () => chain().toggleHeading({ level: 2 }).run() },
    { key: "h3", run: () => chain().toggleHeading({ level: 3 }).run() },
    { key: "bullets", run: () => chain().toggleBulletList().run() },
    { key: "numbers", run: () => chain().toggleOrderedList().run() },
    { key: "quote", run: () => chain().toggleBlockquote().run() },
    { key: "code", run: () => chain().toggleCodeBlock().run() },
  ];
  const save = async () => {
    setBusy(true);
    const result = await onSave(editor.getHTML());
    setBusy(false);
    setProblem(result.problem ?? null);
    if (result.content !== undefined) setSaved(result.content);
  };
  return (
    <section aria-labelledby="studio-page" className="stack">
      <h2 id="studio-page">{t("page.title")}</h2>
      <p id="studio-page-label" className="pw-field__label">
        {t("page.label")}
      </p>
      <Toolbar aria-label={t("page.toolbar")} className="row pw-studio__toolbar">
        {tools.map((tool) => (
          <ToggleButton key={tool.key} className="pw-studio__tool" isSelected={state?.[tool.key] ?? false} onChange={tool.run}>
            {t(`page.${tool.key}`)}
          </ToggleButton>
        ))}
        <AriaButton className="pw-studio__tool" onPress={() => chain().undo().run()}>
          {t("page.undo")}
        </AriaButton>
      </Toolbar>
      <EditorContent editor={editor} />
      {problem && <Notice tone="danger">{problem}</Notice>}
      <div className="row">
        <Button onPress={save} isDisabled={busy}>
          {t("page.save")}
        </Button>
      </div>
      {saved !== null && (
        <section aria-labelledby="studio-page-saved" className="pw-studio__saved" data-testid="sanitized">
          <h3 id="studio-page-saved">{t("page.saved")}</h3>
          <div className="pw-prose" dangerouslySetInnerHTML={{ __html: saved }} />
        </section>
      )}
    </section>
  );
}

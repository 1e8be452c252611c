import { Link } from "react-router";
import type { MyTask, MyTasks } from "../api/client";
import { useMyTasks } from "../api/queries";
import { localToday } from "../api/taskOrder";
import { firstLoad } from "../components/feedback";
import { DueBadge, PriorityBadge } from "../components/tasks/TaskMeta";
import { useDocumentTitle } from "../hooks";
import { projectPath, taskPath } from "../paths";

type GroupName = "overdue" | "today" | "this_week" | "later" | "no_date";

export const GROUPS: { name: GroupName; title: string; empty: string }[] = [
  { name: "overdue", title: "Overdue", empty: "Nothing overdue." },
  { name: "today", title: "Today", empty: "Nothing due today." },
  { name: "this_week", title: "This week", empty: "Nothing else due this week." },
  { name: "later", title: "Later", empty: "Nothing due later." },
  { name: "no_date", title: "No date", empty: "No open tasks without a date." },
];

/** The tasks assigned to the caller, by due date: `/my-tasks`. */
export function MyTasksPage() {
  useDocumentTitle("My tasks");
  // The groups are relative to the person's own calendar day, not the server's.
  const today = localToday();
  const mine = useMyTasks(today);

  return (
    <>
      <div className="page-header">
        <div>
          <h1 tabIndex={-1}>My tasks</h1>
          <p className="muted">Open tasks assigned to you, in every workspace.</p>
        </div>
      </div>
      {firstLoad(mine, "Loading your tasks…") ?? (mine.data ? <Groups data={mine.data} /> : null)}
    </>
  );
}

function Groups({ data }: { data: MyTasks }) {
  return (
    <div className="my-groups">
      {GROUPS.map(({ name, title, empty }) => {
        const group = data.groups[name];
        const headingId = `my-group-${name}`;
        return (
          <section key={name} className={`card my-group my-group-${name}`} aria-labelledby={headingId}>
            <h2 id={headingId} className="my-group-title">
              {title} <span className="count-badge">{group.count}</span>
            </h2>
            {group.items.length === 0 ? (
              <p className="muted small">{empty}</p>
            ) : (
              <ul className="my-task-list" aria-labelledby={headingId}>
                {group.items.map((task) => (
                  <MyTaskRow key={task.id} task={task} />
                ))}
              </ul>
            )}
            {group.count > group.items.length ? (
              <p className="muted small">
                Showing the first {group.items.length} of {group.count}.
              </p>
            ) : null}
          </section>
        );
      })}
    </div>
  );
}

function MyTaskRow({ task }: { task: MyTask }) {
  return (
    <li className="my-task">
      <Link to={taskPath(task.project_id, task.id)} className="my-task-title">
        {task.title}
      </Link>
      <span className="my-task-meta">
        <Link to={projectPath(task.project_id)} className="my-task-project muted small">
          {task.project_name}
        </Link>
        <DueBadge task={task} />
        <PriorityBadge priority={task.priority} />
      </span>
    </li>
  );
}

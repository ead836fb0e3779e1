import java.io.*;
import java.util.*;
import org.quartz.CronExpression;

// Reads lines "expression<TAB>zone<TAB>afterMillis[<TAB>count]" (Quartz syntax, seconds first) and
// prints, per line, the next count fire times (epoch milliseconds, tab separated), "none" when
// there is no further fire time, or "error <message>".
public class QuartzNext {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        PrintWriter out = new PrintWriter(new BufferedWriter(new OutputStreamWriter(System.out)));
        String line;
        while ((line = in.readLine()) != null) {
            String[] f = line.split("\t");
            try {
                CronExpression ce = new CronExpression(f[0]);
                ce.setTimeZone(TimeZone.getTimeZone(f[1]));
                Date d = new Date(Long.parseLong(f[2]));
                int n = f.length > 3 ? Integer.parseInt(f[3]) : 1;
                StringBuilder sb = new StringBuilder();
                for (int i = 0; i < n; i++) {
                    d = ce.getNextValidTimeAfter(d);
                    if (d == null) { sb.append(i == 0 ? "none" : "\tnone"); break; }
                    if (i > 0) sb.append('\t');
                    sb.append(d.getTime());
                }
                out.println(sb);
            } catch (Exception e) {
                out.println("error " + e.getMessage().replace('\n', ' '));
            }
        }
        out.flush();
    }
}

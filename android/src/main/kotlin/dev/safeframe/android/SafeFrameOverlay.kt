package dev.safeframe.android

import android.content.Context
import android.graphics.Color
import android.os.Handler
import android.os.Looper
import android.util.AttributeSet
import android.view.Gravity
import android.view.View
import android.widget.FrameLayout
import android.widget.TextView
import dev.safeframe.Action
import dev.safeframe.Verdict
import java.util.concurrent.Executor

/**
 * An opaque cover placed above a camera preview (or any view) that hides it while the latest
 * verdict is [Action.BLOCK] or [Action.BLUR] — and, fail-closed, after an error and until the
 * first verdict — and shows it otherwise. A `PreviewView` is a separate stream that SafeFrame
 * does not redact, so a BLUR verdict covers it too unless [coverOnBlur] is turned off.
 *
 * ```xml
 * <FrameLayout ...>
 *     <androidx.camera.view.PreviewView android:id="@+id/preview" ... />
 *     <dev.safeframe.android.SafeFrameOverlay android:id="@+id/cover"
 *         android:layout_width="match_parent" android:layout_height="match_parent" />
 * </FrameLayout>
 * ```
 *
 * It implements [SafeFrameAnalyzer.Listener], so it can be passed straight to the analyzer
 * together with [mainThreadExecutor]. [update] and [onError] may be called from any thread: the
 * view is only touched on the main thread (off it, the change is posted there). While shown,
 * the cover consumes touches, so nothing under it can be tapped blind.
 */
class SafeFrameOverlay @JvmOverloads constructor(
    context: Context,
    attrs: AttributeSet? = null,
    defStyleAttr: Int = 0,
) : FrameLayout(context, attrs, defStyleAttr), SafeFrameAnalyzer.Listener {

    private val mainHandler = Handler(Looper.getMainLooper())
    private val label = TextView(context).apply {
        setTextColor(Color.WHITE)
        gravity = Gravity.CENTER
        textSize = 16f
    }

    /** Delivers callbacks on the main thread (for [SafeFrameAnalyzer] and [ScreenFrameFilter]). */
    val mainThreadExecutor: Executor = Executor { mainHandler.post(it) }

    /** Also cover on [Action.BLUR] (default; the preview itself is not blurred by SafeFrame). */
    var coverOnBlur: Boolean = true

    /** Text shown on the cover; empty for none. */
    var message: CharSequence = "Hidden by SafeFrame"
        set(value) {
            field = value
            runOnMain { label.text = value }
        }

    /** True while the cover hides what is under it (read from any thread). Starts covered. */
    @Volatile
    var isCovering: Boolean = true
        private set

    init {
        setBackgroundColor(Color.BLACK)
        label.text = message
        addView(label, LayoutParams(LayoutParams.MATCH_PARENT, LayoutParams.WRAP_CONTENT, Gravity.CENTER))
        isClickable = true // swallow touches while visible
        contentDescription = message
        visibility = View.VISIBLE // fail-closed: covered until the first verdict
    }

    /** Shows the cover for a blocking verdict and removes it otherwise. */
    fun update(verdict: Verdict) {
        val cover = verdict.action == Action.BLOCK || (coverOnBlur && verdict.action == Action.BLUR)
        runOnMain { setCovering(cover) }
    }

    /** Covers (fail-closed) until the next allowing verdict. */
    fun cover() = runOnMain { setCovering(true) }

    override fun onVerdict(verdict: Verdict, timestampNanos: Long) = update(verdict)

    override fun onError(error: Exception) = cover()

    private fun setCovering(cover: Boolean) {
        if (cover == isCovering) return
        isCovering = cover
        visibility = if (cover) View.VISIBLE else View.GONE
        if (cover) bringToFront()
    }

    private fun runOnMain(block: () -> Unit) {
        if (Looper.myLooper() == Looper.getMainLooper()) block() else mainHandler.post(block)
    }
}
